package httpapi

import "encoding/json"

// cloneJSON deep-copies v through JSON (the model is plain data).
func cloneJSON[T any](v *T) *T {
	b, err := json.Marshal(v)
	if err != nil {
		panic("httpapi: clone: " + err.Error())
	}
	out := new(T)
	if err := json.Unmarshal(b, out); err != nil {
		panic("httpapi: clone: " + err.Error())
	}
	return out
}

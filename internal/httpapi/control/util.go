package control

import (
	"encoding/json"
	"net/http"
	"strings"
)

func cutPrefix(s, p string) (string, bool) { return strings.CutPrefix(s, p) }

func splitPath(p string) []string { return strings.Split(strings.Trim(p, "/"), "/") }

// decodePatch reads an Update* body as the fields it carries.
func decodePatch(r *http.Request) (map[string]json.RawMessage, error) {
	patch := map[string]json.RawMessage{}
	if err := decode(r, &patch); err != nil {
		return nil, err
	}
	return patch, nil
}

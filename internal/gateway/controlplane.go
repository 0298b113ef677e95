package gateway

import (
	"slices"
)

// Snapshot normalises api and returns its JSON snapshot and the
// content-hash id Deploy gives it.
func Snapshot(api *API) ([]byte, string, error) { return snapshot(api) }

// ResponseTypes lists the customisable gateway response types, sorted.
func ResponseTypes() []ResponseType {
	var out []ResponseType
	for t := range responseDefaults {
		if t.Known() {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// DefaultStatus is a gateway response type's status when not customised.
func (t ResponseType) DefaultStatus() int { return responseDefaults[t].status }

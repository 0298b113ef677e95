package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func FuzzRoute(f *testing.F) {
	for _, s := range []string{"/dev/items/1", "/dev/items/special", "/dev/files/a/b", "/dev/items/..%2f", "/dev//items",
		"/dev/%2e%2e/items", "/restapis/" + testAPIID + "/dev/_user_request_/items", "/dev/items/a%2Fb", "/dev/"} {
		f.Add(s)
	}
	env := newTestEnv(f, func(api *API, _ *Options) {
		// Only MOCK routes: the fuzzer must not reach functions or backends.
		for p, ms := range api.Paths {
			for v, m := range ms {
				if m.Integration.Type != IntegrationMock || m.Authorizer != "" {
					delete(ms, v)
				}
			}
			if len(ms) == 0 {
				delete(api.Paths, p)
			}
		}
		api.Paths["/files/{proxy+}"] = map[string]*Method{"ANY": {Integration: mockBody(`{"proxy":"$input.params('proxy')"}`)}}
	})
	f.Fuzz(func(t *testing.T, target string) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n\t#?") {
			return
		}
		req, err := http.NewRequest(http.MethodGet, "http://localhost"+target, nil)
		if err != nil {
			return
		}
		req.RequestURI = target
		rec := httptest.NewRecorder()
		env.h.ServeHTTP(rec, req)
		if rec.Code != 200 && rec.Code != 403 && rec.Code != 414 && rec.Code != 400 && rec.Code != 500 {
			t.Fatalf("%s: status %d", target, rec.Code)
		}
		if rec.Code == 200 {
			// A routed path never contains a dot segment, plain or hidden
			// behind an encoded slash (empty segments are merged).
			p := "/" + strings.TrimLeft(req.URL.EscapedPath(), "/")
			if strings.HasPrefix(p, "/restapis/") {
				return
			}
			if !strings.HasPrefix(p, "/dev/") {
				t.Fatalf("%s routed outside the stage", target)
			}
			segs, _, ok := splitPath(p[len("/dev"):], KeepUnchanged)
			if !ok {
				t.Fatalf("%s routed (segments %q)", target, segs)
			}
			for _, s := range segs {
				for _, piece := range strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '\\' }) {
					if piece == "." || piece == ".." {
						t.Fatalf("%s routed with dot segment in %q", target, s)
					}
				}
			}
		}
	})
}

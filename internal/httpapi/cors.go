package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// allowedOrigin is the Access-Control-Allow-Origin value for origin, or "".
func (c *Cors) allowedOrigin(origin string) string {
	if origin == "" {
		return ""
	}
	for _, o := range c.AllowOrigins {
		if o == "*" {
			if c.AllowCredentials {
				// "*" cannot be sent with credentials (Fetch standard):
				// echo the origin instead.
				return origin
			}
			return "*"
		}
		if strings.EqualFold(o, origin) {
			return origin
		}
	}
	return ""
}

// preflight answers a CORS preflight from the API's CORS configuration, as
// HTTP APIs do even without an OPTIONS route. It reports whether it answered.
func (x *request) preflight() bool {
	c := x.st.dep.cors
	r := x.r
	if c == nil || r.Method != http.MethodOptions || r.Header.Get("Origin") == "" || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h := x.w.Header()
	if allow := c.allowedOrigin(r.Header.Get("Origin")); allow != "" && c.methodAllowed(r.Header.Get("Access-Control-Request-Method")) {
		h.Set("Access-Control-Allow-Origin", allow)
		if len(c.AllowMethods) > 0 {
			h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowMethods, ","))
		}
		if len(c.AllowHeaders) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowHeaders, ","))
		}
		if c.MaxAge != nil {
			h.Set("Access-Control-Max-Age", strconv.Itoa(*c.MaxAge))
		}
		if c.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if len(c.ExposeHeaders) > 0 {
			h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
		}
		if allow != "*" {
			h.Add("Vary", "Origin")
		}
	}
	x.w.WriteHeader(http.StatusNoContent)
	return true
}

func (c *Cors) methodAllowed(m string) bool {
	return slices.ContainsFunc(c.AllowMethods, func(a string) bool { return a == "*" || strings.EqualFold(a, m) })
}

// corsHeaders adds the CORS headers of an actual (non-preflight) response.
func (x *request) corsHeaders() {
	if x.st == nil || x.st.dep.cors == nil {
		return
	}
	c := x.st.dep.cors
	allow := c.allowedOrigin(x.r.Header.Get("Origin"))
	if allow == "" {
		return
	}
	h := x.w.Header()
	h.Set("Access-Control-Allow-Origin", allow)
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if len(c.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
	}
	if allow != "*" {
		h.Add("Vary", "Origin")
	}
}

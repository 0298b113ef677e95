package gateway

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/cognate-dev/cognate/internal/store"
)

// UsageHandler serves API Gateway's GetUsage, GET
// /usageplans/{usageplanId}/usage?startDate=yyyy-MM-dd&endDate=yyyy-MM-dd[&keyId=…],
// with AWS's answer {"usagePlanId","startDate","endDate","items":{keyId:
// [[used, remaining], …]}} and its errors (404 NotFoundException "Invalid
// Usage Plan ID specified", 400 BadRequestException). It is a management
// API: mount it where API Gateway's control plane is served, behind SigV4.
func (g *Gateway) UsageHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, "/usageplans/")
		planID, tail, _ := strings.Cut(rest, "/")
		if !ok || tail != "usage" || planID == "" {
			writeAPIError(w, http.StatusNotFound, "NotFoundException", "Not Found")
			return
		}
		if r.Method != http.MethodGet {
			writeAPIError(w, http.StatusMethodNotAllowed, "MethodNotAllowedException", "Method Not Allowed")
			return
		}
		q := r.URL.Query()
		if q.Get("startDate") == "" || q.Get("endDate") == "" {
			writeAPIError(w, http.StatusBadRequest, "BadRequestException", "startDate and endDate are required")
			return
		}
		u, err := g.GetUsage(r.Context(), planID, q.Get("keyId"), q.Get("startDate"), q.Get("endDate"))
		switch {
		case errors.Is(err, store.ErrNotFound):
			writeAPIError(w, http.StatusNotFound, "NotFoundException", "Invalid Usage Plan ID specified")
			return
		case err != nil:
			writeAPIError(w, http.StatusBadRequest, "BadRequestException", err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(u)
	})
}

func writeAPIError(w http.ResponseWriter, status int, errType, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amzn-ErrorType", errType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": message})
}

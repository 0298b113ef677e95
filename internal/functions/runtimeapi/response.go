package runtimeapi

import (
	"encoding/json"
	"fmt"
)

// response serves POST /runtime/invocation/{id}/response.
func (s *Server) response(id string, req *request) reply {
	inv := s.finish(id)
	if inv == nil {
		return invalidRequestID()
	}
	if req.tooLarge || len(req.body) > s.maxResp {
		msg := fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", s.maxResp)
		inv.complete(errorOutcome("Function.ResponseSizeTooLarge", msg))
		return handedOff(errorReply(413, "RequestEntityTooLarge", fmt.Sprintf("Exceeded maximum allowed payload size (%d bytes).", s.maxResp)))
	}
	// A streamed response that failed half-way carries the error in trailers.
	if req.trailerType != "" {
		doc, et := normaliseError(req.trailerError(), req.trailerType)
		inv.complete(Outcome{Payload: doc, Failed: true, ErrorType: et})
		return handedOff(accepted())
	}
	if len(req.body) > 0 && !json.Valid(req.body) {
		inv.complete(errorOutcome("Runtime.InvalidResponsePayload",
			"RequestId: "+inv.ID+" Error: the function's response is not valid JSON"))
		return handedOff(accepted())
	}
	inv.complete(Outcome{Payload: req.body})
	return handedOff(accepted())
}

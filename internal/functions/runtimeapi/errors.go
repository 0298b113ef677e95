package runtimeapi

// invocationError serves POST /runtime/invocation/{id}/error.
func (s *Server) invocationError(id string, req *request) reply {
	inv := s.finish(id)
	if inv == nil {
		return invalidRequestID()
	}
	body := req.body
	if len(body) > maxErrorSize {
		body = body[:maxErrorSize]
	}
	doc, errorType := normaliseError(body, req.errorType)
	inv.complete(Outcome{Payload: doc, Failed: true, ErrorType: errorType})
	return handedOff(accepted())
}

// initError serves POST /runtime/init/error: the runtime could not start
// (module not found, syntax error, handler missing ...).
func (s *Server) initError(req *request) reply {
	body := req.body
	if len(body) > maxErrorSize {
		body = body[:maxErrorSize]
	}
	doc, _ := normaliseError(body, req.errorType)
	first := false
	s.initOnce.Do(func() {
		s.mu.Lock()
		s.initBody = doc
		s.mu.Unlock()
		close(s.initErr)
		first = true
	})
	if !first {
		return errorReply(403, "InvalidStateTransition", "the init error was already reported")
	}
	return accepted()
}

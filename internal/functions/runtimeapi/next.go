package runtimeapi

import "strconv"

// next serves GET /runtime/invocation/next: it blocks until an invocation
// is delivered or the server closes.
func (s *Server) next(*request) reply {
	s.readyOnce.Do(func() { close(s.ready) })
	s.abandon()
	select {
	case inv := <-s.pending:
		s.take(inv)
		h := []string{
			"Lambda-Runtime-Aws-Request-Id", inv.ID,
			"Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.Deadline.UnixMilli(), 10),
		}
		if inv.FunctionARN != "" {
			h = append(h, "Lambda-Runtime-Invoked-Function-Arn", inv.FunctionARN)
		}
		if inv.TraceID != "" {
			h = append(h, "Lambda-Runtime-Trace-Id", inv.TraceID)
		}
		if inv.ClientContext != "" {
			h = append(h, "Lambda-Runtime-Client-Context", inv.ClientContext)
		}
		return reply{status: 200, body: inv.Payload, header: h}
	case <-s.quit:
		return errorReply(500, "InternalServerError", "the function instance is shutting down")
	}
}

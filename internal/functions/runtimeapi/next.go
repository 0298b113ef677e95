package runtimeapi

// next serves GET /runtime/invocation/next: it blocks until an invocation
// is delivered or the server closes.
func (s *Server) next(*request) reply {
	s.readyOnce.Do(func() { close(s.ready) })
	s.abandon()
	select {
	case inv := <-s.pending:
		s.take(inv)
		return reply{status: 200, body: inv.Payload, inv: inv}
	case <-s.quit:
		return errorReply(500, "InternalServerError", "the function instance is shutting down")
	}
}

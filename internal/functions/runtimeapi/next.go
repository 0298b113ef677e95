package runtimeapi

// next serves GET /runtime/invocation/next: it answers at once with a
// pending invocation, or parks c so that Deliver answers it (now is false).
func (s *Server) next(c *conn) (rep reply, now bool) {
	s.readyOnce.Do(func() { close(s.ready) })
	s.abandon()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errorReply(500, "InternalServerError", "the function instance is shutting down"), true
	}
	if inv := s.pending; inv != nil {
		s.pending = nil
		s.takeLocked(inv)
		return reply{status: 200, body: inv.Payload, inv: inv}, true
	}
	c.park()
	s.waiters = append(s.waiters, c)
	return reply{}, false
}

package sts

// MemoryHeld reports the parsed trust policies kept ("sts.trust"): what a dev-mode reset must leave empty.
func (s *Service) MemoryHeld() map[string]int {
	return map[string]int{"sts.trust": s.trust.c.Len()}
}

// ResetMemory forgets every parsed trust policy (a dev-mode reset).
func (s *Service) ResetMemory() { s.trust.c.Purge() }

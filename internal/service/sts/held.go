package sts

// MemoryHeld reports the entries of the role cache ("sts.roles") after applying the changes published so
// far: what a dev-mode reset must leave empty (the cache follows the store's change feed).
func (s *Service) MemoryHeld() map[string]int {
	s.cache.sync()
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	return map[string]int{"sts.roles": s.cache.roles.Len()}
}

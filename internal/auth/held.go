package auth

// MemoryHeld reports the opened secrets kept ("auth.secrets"): what a dev-mode reset must leave empty.
// The rows they belong to live in the store's cache.
func (a *Authenticator) MemoryHeld() map[string]int {
	a.secrets.mu.Lock()
	defer a.secrets.mu.Unlock()
	return map[string]int{"auth.secrets": a.secrets.m.Len()}
}

// ResetMemory forgets every opened secret (a dev-mode reset).
func (a *Authenticator) ResetMemory() {
	a.secrets.mu.Lock()
	defer a.secrets.mu.Unlock()
	a.secrets.m.Purge()
}

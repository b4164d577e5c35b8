package authz

// MemoryHeld reports the entries of each cache, by name ("authz.sets", …): what a dev-mode reset must
// leave empty. The compiled inline session policies are left out: they are keyed by the document itself,
// a pure function of what a request sends, and hold nothing about the store.
func (a *Authorizer) MemoryHeld() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return map[string]int{"authz.sets": a.sets.Len(), "authz.entities": a.entities.Len(), "authz.managed": a.managed.Len()}
}

// ResetMemory forgets every compiled set, entity and managed session policy (a dev-mode reset; they
// would be rebuilt anyway, since the reset moves every version on).
func (a *Authorizer) ResetMemory() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sets.Purge()
	a.entities.Purge()
	a.managed.Purge()
}

package authz

// MemoryHeld reports the entries of each cache, by name ("authz.sets", …), after applying the changes
// published so far: what a dev-mode reset must leave empty (these caches follow the store's change feed).
// The compiled inline session policies are left out: they are keyed by the document itself, a pure
// function of what a request sends, and hold nothing about the store.
func (a *Authorizer) MemoryHeld() map[string]int {
	a.sync()
	a.mu.RLock()
	defer a.mu.RUnlock()
	return map[string]int{"authz.sets": a.sets.Len(), "authz.entities": a.entities.Len(), "authz.managed": a.managed.Len()}
}

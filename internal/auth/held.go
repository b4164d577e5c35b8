package auth

import "context"

// MemoryHeld reports the entries of each cache, by name ("auth.keys", …), after applying the changes
// published so far: what a dev-mode reset must leave empty (these caches follow the store's change feed).
func (a *Authenticator) MemoryHeld() map[string]int {
	a.sync(context.Background())
	s := a.cache.sizes()
	return map[string]int{"auth.keys": s.Keys, "auth.missingKeys": s.MissingKeys, "auth.users": s.Users,
		"auth.accounts": s.Accounts, "auth.principals": a.principals.len()}
}

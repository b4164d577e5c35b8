package cache

import "github.com/iamd/iamd/internal/storage"

// MemoryHeld reports the entries of each table by name ("cache.keys", …), after applying the changes
// published so far: what a dev-mode reset must leave empty.
func (c *Store) MemoryHeld() map[string]int {
	c.Sync()
	s := c.Sizes()
	return map[string]int{"cache.keys": s.Keys, "cache.missingKeys": s.MissingKeys, "cache.accounts": s.Accounts,
		"cache.users": s.Users, "cache.roles": s.Roles, "cache.userIDs": s.UserIDs, "cache.roleIDs": s.RoleIDs,
		"cache.attachments": s.Attachments, "cache.policyVersions": s.PolicyVersions}
}

// ResetMemory drops every row and moves every version on, as the storage.ChangeAll a dev-mode reset
// publishes does; calling it as well makes the reset independent of when the change is applied.
func (c *Store) ResetMemory() {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	c.apply(storage.Change{Kind: storage.ChangeAll})
}

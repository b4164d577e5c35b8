package cache

import "time"

// Bounds of the cache. Every table is a least-recently-used list, so that neither a flood of requests nor
// a large state can grow the process without bound, and a flood evicts only what nobody uses.
const (
	// DefaultMaxEntries bounds each table (keys, users, roles, attachment lists, ...). A row costs a few
	// hundred bytes: 100,000 of each kind is tens of megabytes at most, and holds every hot row of 5,000
	// users with 2 keys and 5 policies each many times over.
	DefaultMaxEntries = 100_000
	// DefaultMaxMissingKeys bounds the access key IDs known not to exist. It is what an unauthenticated
	// caller can fill (any well-formed key ID reaches it), so it is small; an entry costs about 100
	// bytes, and a miss costs one indexed read.
	DefaultMaxMissingKeys = 10_000
	// maxCachedAccounts bounds cached accounts; in dev mode a 12-digit key ID creates its account, so an
	// unauthenticated caller can make many.
	maxCachedAccounts = 10_000
	// maxCachedUserPages bounds the cached pages of user listings (ListUsers). A page holds the folded
	// names of its users (the rows are the users table's), so a page of maxCachedPageUsers costs a few
	// kilobytes: a few megabytes in all. An authenticated caller can fill it with pages that start at
	// different names; the least recently used go first.
	maxCachedUserPages = 1_000
	// maxCachedPageUsers is the longest page of users the cache keeps: one more than ListUsers' default
	// MaxItems of 100 (the service asks for one more to learn whether the listing is truncated). Longer
	// listings (whole accounts for reports) are read from the store.
	maxCachedPageUsers = 101
	// syncEvery is how often Run applies changes while no View does: it keeps the subscription buffer
	// from overflowing (which would empty every table) and frees deleted rows on an idle node;
	// correctness does not depend on it.
	syncEvery = 250 * time.Millisecond
)

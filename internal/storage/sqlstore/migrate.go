package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// migrations is the ordered schema history. Never edit an applied migration: append a new one.
// Each runs in its own transaction and is recorded in the migrations table.
//
// Conventions: fkey columns hold storage.Fold(name) and use C collation so PostgreSQL orders them byte-wise
// like SQLite; data columns hold the JSON of the domain struct; relations reference
// entities(account_id, kind, fkey) through a constant kind column so a rename cascades to them.
var migrations = [][]string{
	{
		`CREATE TABLE accounts (
			id TEXT COLLATE "C" PRIMARY KEY,
			data TEXT NOT NULL
		)`,
		`CREATE TABLE account_aliases (
			alias TEXT COLLATE "C" PRIMARY KEY,
			account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE
		)`,
		`CREATE INDEX account_aliases_account ON account_aliases (account_id)`,
		`CREATE TABLE entities (
			account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
			kind TEXT COLLATE "C" NOT NULL,
			fkey TEXT COLLATE "C" NOT NULL,
			name TEXT NOT NULL,
			path TEXT COLLATE "C" NOT NULL,
			id TEXT COLLATE "C" NOT NULL,
			data TEXT NOT NULL,
			PRIMARY KEY (account_id, kind, fkey),
			UNIQUE (kind, id)
		)`,
		`CREATE TABLE members (
			account_id TEXT COLLATE "C" NOT NULL,
			group_kind TEXT COLLATE "C" NOT NULL DEFAULT 'group' CHECK (group_kind = 'group'),
			group_key TEXT COLLATE "C" NOT NULL,
			user_kind TEXT COLLATE "C" NOT NULL DEFAULT 'user' CHECK (user_kind = 'user'),
			user_key TEXT COLLATE "C" NOT NULL,
			PRIMARY KEY (account_id, group_key, user_key),
			FOREIGN KEY (account_id, group_kind, group_key) REFERENCES entities (account_id, kind, fkey) ON UPDATE CASCADE ON DELETE CASCADE,
			FOREIGN KEY (account_id, user_kind, user_key) REFERENCES entities (account_id, kind, fkey) ON UPDATE CASCADE ON DELETE CASCADE
		)`,
		`CREATE INDEX members_user ON members (account_id, user_key, group_key)`,
		`CREATE TABLE profile_roles (
			account_id TEXT COLLATE "C" NOT NULL,
			profile_kind TEXT COLLATE "C" NOT NULL DEFAULT 'instance-profile' CHECK (profile_kind = 'instance-profile'),
			profile_key TEXT COLLATE "C" NOT NULL,
			role_kind TEXT COLLATE "C" NOT NULL DEFAULT 'role' CHECK (role_kind = 'role'),
			role_key TEXT COLLATE "C" NOT NULL,
			PRIMARY KEY (account_id, profile_key, role_key),
			FOREIGN KEY (account_id, profile_kind, profile_key) REFERENCES entities (account_id, kind, fkey) ON UPDATE CASCADE ON DELETE CASCADE,
			FOREIGN KEY (account_id, role_kind, role_key) REFERENCES entities (account_id, kind, fkey) ON UPDATE CASCADE ON DELETE CASCADE
		)`,
		`CREATE INDEX profile_roles_role ON profile_roles (account_id, role_key, profile_key)`,
		// policy_ref is the ARN without "arn:PARTITION:iam::", so a customer policy's attachments are found
		// from its account, path and name whatever the partition.
		`CREATE TABLE attachments (
			account_id TEXT COLLATE "C" NOT NULL,
			owner_kind TEXT COLLATE "C" NOT NULL CHECK (owner_kind IN ('user', 'group', 'role')),
			owner_key TEXT COLLATE "C" NOT NULL,
			policy_arn TEXT COLLATE "C" NOT NULL,
			policy_ref TEXT COLLATE "C" NOT NULL,
			PRIMARY KEY (account_id, owner_kind, owner_key, policy_arn),
			FOREIGN KEY (account_id, owner_kind, owner_key) REFERENCES entities (account_id, kind, fkey) ON UPDATE CASCADE ON DELETE CASCADE
		)`,
		`CREATE INDEX attachments_policy ON attachments (account_id, policy_ref)`,
		`CREATE TABLE boundaries (
			account_id TEXT COLLATE "C" NOT NULL,
			owner_kind TEXT COLLATE "C" NOT NULL CHECK (owner_kind IN ('user', 'role')),
			owner_key TEXT COLLATE "C" NOT NULL,
			policy_arn TEXT COLLATE "C" NOT NULL,
			policy_ref TEXT COLLATE "C" NOT NULL,
			PRIMARY KEY (account_id, owner_kind, owner_key),
			FOREIGN KEY (account_id, owner_kind, owner_key) REFERENCES entities (account_id, kind, fkey) ON UPDATE CASCADE ON DELETE CASCADE
		)`,
		`CREATE INDEX boundaries_policy ON boundaries (account_id, policy_ref)`,
		`CREATE TABLE inline_policies (
			account_id TEXT COLLATE "C" NOT NULL,
			owner_kind TEXT COLLATE "C" NOT NULL CHECK (owner_kind IN ('user', 'group', 'role')),
			owner_key TEXT COLLATE "C" NOT NULL,
			fkey TEXT COLLATE "C" NOT NULL,
			name TEXT NOT NULL,
			document TEXT NOT NULL,
			PRIMARY KEY (account_id, owner_kind, owner_key, fkey),
			FOREIGN KEY (account_id, owner_kind, owner_key) REFERENCES entities (account_id, kind, fkey) ON UPDATE CASCADE ON DELETE CASCADE
		)`,
		`CREATE TABLE policy_versions (
			account_id TEXT COLLATE "C" NOT NULL,
			policy_kind TEXT COLLATE "C" NOT NULL DEFAULT 'policy' CHECK (policy_kind = 'policy'),
			policy_key TEXT COLLATE "C" NOT NULL,
			num BIGINT NOT NULL,
			data TEXT NOT NULL,
			PRIMARY KEY (account_id, policy_key, num),
			FOREIGN KEY (account_id, policy_kind, policy_key) REFERENCES entities (account_id, kind, fkey) ON UPDATE CASCADE ON DELETE CASCADE
		)`,
		// Owned credentials: user_kind/user_key are NULL for the root user, which the composite foreign key
		// then does not check (MATCH SIMPLE in both databases).
		`CREATE TABLE access_keys (
			id TEXT COLLATE "C" PRIMARY KEY,
			account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
			user_kind TEXT COLLATE "C" CHECK (user_kind = 'user'),
			user_key TEXT COLLATE "C",
			data TEXT NOT NULL,
			FOREIGN KEY (account_id, user_kind, user_key) REFERENCES entities (account_id, kind, fkey) ON UPDATE CASCADE ON DELETE CASCADE
		)`,
		`CREATE INDEX access_keys_owner ON access_keys (account_id, user_key, id)`,
		`CREATE TABLE credentials (
			kind TEXT COLLATE "C" NOT NULL,
			id TEXT COLLATE "C" NOT NULL,
			account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
			user_kind TEXT COLLATE "C" CHECK (user_kind = 'user'),
			user_key TEXT COLLATE "C",
			data TEXT NOT NULL,
			PRIMARY KEY (kind, id),
			FOREIGN KEY (account_id, user_kind, user_key) REFERENCES entities (account_id, kind, fkey) ON UPDATE CASCADE ON DELETE CASCADE
		)`,
		`CREATE INDEX credentials_owner ON credentials (account_id, kind, user_key, id)`,
		`CREATE TABLE login_profiles (
			account_id TEXT COLLATE "C" NOT NULL,
			user_kind TEXT COLLATE "C" NOT NULL DEFAULT 'user' CHECK (user_kind = 'user'),
			user_key TEXT COLLATE "C" NOT NULL,
			data TEXT NOT NULL,
			PRIMARY KEY (account_id, user_key),
			FOREIGN KEY (account_id, user_kind, user_key) REFERENCES entities (account_id, kind, fkey) ON UPDATE CASCADE ON DELETE CASCADE
		)`,
		// root is 1 when the device is assigned to the root user.
		`CREATE TABLE mfa_devices (
			account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
			fkey TEXT COLLATE "C" NOT NULL,
			path TEXT COLLATE "C" NOT NULL,
			user_kind TEXT COLLATE "C" CHECK (user_kind = 'user'),
			user_key TEXT COLLATE "C",
			root BIGINT NOT NULL DEFAULT 0,
			data TEXT NOT NULL,
			PRIMARY KEY (account_id, fkey),
			FOREIGN KEY (account_id, user_kind, user_key) REFERENCES entities (account_id, kind, fkey) ON UPDATE CASCADE ON DELETE CASCADE
		)`,
		`CREATE INDEX mfa_devices_user ON mfa_devices (account_id, user_key, fkey)`,
		`CREATE TABLE key_ring (
			id BIGINT PRIMARY KEY CHECK (id = 1),
			generation BIGINT NOT NULL,
			data TEXT NOT NULL
		)`,
		// A counter is the sum of its shards: concurrent writers in one account bump random shards, so
		// under PostgreSQL's SERIALIZABLE they rarely update the same row and abort each other.
		`CREATE TABLE counters (
			account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
			name TEXT COLLATE "C" NOT NULL,
			shard BIGINT NOT NULL,
			value BIGINT NOT NULL,
			PRIMARY KEY (account_id, name, shard)
		)`,
	},
	{
		// Access advisor: the last authenticated request of a user or role per service action. at is Unix
		// nanoseconds, so that "later wins" is one comparison in both databases.
		`CREATE TABLE service_access (
			account_id TEXT COLLATE "C" NOT NULL,
			owner_kind TEXT COLLATE "C" NOT NULL CHECK (owner_kind IN ('user', 'role')),
			owner_key TEXT COLLATE "C" NOT NULL,
			namespace TEXT COLLATE "C" NOT NULL,
			action TEXT COLLATE "C" NOT NULL,
			at BIGINT NOT NULL,
			region TEXT NOT NULL,
			PRIMARY KEY (account_id, owner_kind, owner_key, namespace, action),
			FOREIGN KEY (account_id, owner_kind, owner_key) REFERENCES entities (account_id, kind, fkey) ON UPDATE CASCADE ON DELETE CASCADE
		)`,
	},
	{
		// Web console sessions; id is the hash of the cookie's token, created_at orders an account's
		// sessions so the oldest are the ones ended past the per-account bound.
		`CREATE TABLE console_sessions (
			id TEXT COLLATE "C" PRIMARY KEY,
			account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
			created_at BIGINT NOT NULL,
			data TEXT NOT NULL
		)`,
		`CREATE INDEX console_sessions_account ON console_sessions (account_id, created_at, id)`,
	},
	{
		// The audit trail (package audit; see events.go): blocks of events, one row per batch written
		// behind and account, the events encoded and s2-compressed in data (times are Unix nanoseconds);
		// the lookup attribute values each block holds (k is "Attribute:value"); the preliminary events of
		// writes, each stored in its write's transaction until its final form is in a block. No foreign
		// key to accounts: a refused call is recorded in the account its key names, which need not exist,
		// and a deleted account's trail outlives it until retention. BYTEA is a blob to both databases.
		`CREATE TABLE event_blocks (
			id BIGINT PRIMARY KEY,
			account_id TEXT COLLATE "C" NOT NULL,
			min_time BIGINT NOT NULL,
			max_time BIGINT NOT NULL,
			events INTEGER NOT NULL,
			data BYTEA NOT NULL
		)`,
		`CREATE INDEX event_blocks_time ON event_blocks (account_id, max_time, id)`,
		`CREATE INDEX event_blocks_purge ON event_blocks (max_time, id)`,
		`CREATE TABLE event_keys (
			account_id TEXT COLLATE "C" NOT NULL,
			k TEXT COLLATE "C" NOT NULL,
			max_time BIGINT NOT NULL,
			block_id BIGINT NOT NULL REFERENCES event_blocks (id) ON DELETE CASCADE,
			PRIMARY KEY (account_id, k, max_time, block_id)
		)`,
		`CREATE INDEX event_keys_block ON event_keys (block_id)`,
		`CREATE TABLE event_pending (
			event_id TEXT COLLATE "C" PRIMARY KEY,
			account_id TEXT COLLATE "C" NOT NULL,
			event_time BIGINT NOT NULL,
			data BYTEA NOT NULL
		)`,
	},
	{
		// On SQLite, the trail's rows that every write adds and removes go to WITHOUT ROWID tables, one
		// B-tree each, where a table with a text or composite primary key is two (the rowid table and the
		// key's index): a write's pending row is inserted in the write's commit and deleted by the batch
		// that settles it, and event_keys gets a row per new resource name a write names. On the single
		// writer's serial path, each B-tree less is fewer pages to change, log and checkpoint per write.
		// Rows and indexes are as they were; PostgreSQL keeps its tables (a heap and its indexes either way).
		// On both, event_keys loses its foreign key to event_blocks: checked on every key inserted (an
		// index search on SQLite, a trigger on PostgreSQL) for a cascade that only the purge needs, which
		// now deletes the keys of the blocks it deletes itself (a lookup joins keys to existing blocks).
		onlyOn("sqlite", `CREATE TABLE event_pending_new (
			event_id TEXT COLLATE "C" PRIMARY KEY,
			account_id TEXT COLLATE "C" NOT NULL,
			event_time BIGINT NOT NULL,
			data BYTEA NOT NULL
		) WITHOUT ROWID`),
		onlyOn("sqlite", `INSERT INTO event_pending_new (event_id, account_id, event_time, data)
			SELECT event_id, account_id, event_time, data FROM event_pending`),
		onlyOn("sqlite", `DROP TABLE event_pending`),
		onlyOn("sqlite", `ALTER TABLE event_pending_new RENAME TO event_pending`),
		onlyOn("sqlite", `CREATE TABLE event_keys_new (
			account_id TEXT COLLATE "C" NOT NULL,
			k TEXT COLLATE "C" NOT NULL,
			max_time BIGINT NOT NULL,
			block_id BIGINT NOT NULL,
			PRIMARY KEY (account_id, k, max_time, block_id)
		) WITHOUT ROWID`),
		onlyOn("sqlite", `INSERT INTO event_keys_new (account_id, k, max_time, block_id)
			SELECT account_id, k, max_time, block_id FROM event_keys`),
		onlyOn("sqlite", `DROP TABLE event_keys`),
		onlyOn("sqlite", `ALTER TABLE event_keys_new RENAME TO event_keys`),
		onlyOn("sqlite", `CREATE INDEX event_keys_block ON event_keys (block_id)`),
		onlyOn("postgres", `ALTER TABLE event_keys DROP CONSTRAINT IF EXISTS event_keys_block_id_fkey`),
	},
}

// onlyMarker starts a statement of a migration that only one dialect runs (see onlyOn).
const onlyMarker = "-- only "

// onlyOn marks stmt as one that only the dialect named runs; the others skip it. For what the databases
// do differently (SQLite's table options); the migration is recorded as applied on every dialect.
func onlyOn(dialect, stmt string) string { return onlyMarker + dialect + "\n" + stmt }

// forDialect is the statement st as dialect runs it, or false when it is another dialect's alone.
func forDialect(st, dialect string) (string, bool) {
	if !strings.HasPrefix(st, onlyMarker) {
		return st, true
	}
	first, rest, _ := strings.Cut(st, "\n")
	return rest, first[len(onlyMarker):] == dialect
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.WriteDB.ExecContext(ctx, s.q(`CREATE TABLE IF NOT EXISTS migrations (
		num BIGINT PRIMARY KEY,
		applied_at TEXT NOT NULL
	)`)); err != nil {
		return fmt.Errorf("storage: create migrations table: %w", err)
	}
	// A database migrated by a newer iamd has tables this binary does not know how to keep consistent.
	var newest sql.NullInt64
	if err := s.WriteDB.QueryRowContext(ctx, `SELECT max(num) FROM migrations`).Scan(&newest); err != nil {
		return fmt.Errorf("storage: read migrations: %w", err)
	}
	if newest.Int64 > int64(len(migrations)) {
		return fmt.Errorf("storage: database schema version %d is newer than this binary's %d: upgrade iamd",
			newest.Int64, len(migrations))
	}
	for i, stmts := range migrations {
		num := i + 1
		if err := s.applyMigration(ctx, num, stmts); err != nil {
			return fmt.Errorf("storage: migration %d: %w", num, err)
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, num int, stmts []string) error {
	tx, err := s.WriteDB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	if s.d.MigrationLock != "" {
		if _, err := tx.ExecContext(ctx, s.d.MigrationLock); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
	}
	var n int
	err = tx.QueryRowContext(ctx, s.q(`SELECT count(*) FROM migrations WHERE num = $1`), num).Scan(&n)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	for _, st := range stmts {
		st, ok := forDialect(st, s.d.Name)
		if !ok {
			continue
		}
		if _, err := tx.ExecContext(ctx, s.q(st)); err != nil {
			return fmt.Errorf("%w\n%s", err, st)
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO migrations (num, applied_at) VALUES ($1, $2)`),
		num, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	return tx.Commit()
}

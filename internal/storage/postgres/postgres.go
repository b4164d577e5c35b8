// Package postgres is the multi-node storage backend: PostgreSQL through a pgx pool, SERIALIZABLE
// write transactions retried on serialization failures and deadlocks, and change notifications shared
// between nodes with LISTEN/NOTIFY so every node's caches see every node's writes.
//
// A node group-commits its writes (sqlstore.Options.GroupCommit): the Update calls waiting at a moment
// run one after another in one SERIALIZABLE transaction, committed once. Concurrent
// writers of one node then never conflict with each other: alone, each CreateUser read the account's
// counters and bumped one shard, so any two concurrent ones formed a read/write cycle and one was aborted
// (40001); 16 clients retagging one user aborted all but one per round. Measured with the load tool, 16
// clients: CreateUser+DeleteUser 178 -> 515 req/s, p99 944 -> 79 ms, iamd CPU 3.5 -> 1.3 ms per request.
// Writers on different nodes still conflict as before and are retried.
package postgres

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/sqlstore"
)

const (
	// Channel is the NOTIFY channel carrying committed changes between nodes.
	Channel = "iamd_changes"
	// maxPayload keeps NOTIFY payloads under PostgreSQL's 8000-byte limit with room to spare.
	maxPayload = 7000
	// maxNotifiedChanges: a transaction changing more than this tells other nodes to flush everything
	// instead of sending each change.
	maxNotifiedChanges = 500
	// defaultMaxConns: enough for a busy node on a small database server without exhausting its
	// max_connections (100 by default) when several nodes share it.
	defaultMaxConns = 16
	// connectTimeout bounds the first connection at Open, so a wrong URL fails fast and clearly.
	connectTimeout = 15 * time.Second
	// Listener reconnect backoff.
	listenRetryMin = 100 * time.Millisecond
	listenRetryMax = 10 * time.Second
	// migrationLockKey is the advisory lock nodes take while migrating ("iamd" in ASCII).
	migrationLockKey = 0x69616d64
)

// SQLSTATE codes.
const (
	sqlstateSerializationFailure = "40001"
	sqlstateDeadlock             = "40P01"
	sqlstateUniqueViolation      = "23505"
)

// Options tune Open.
type Options struct {
	Logger   *slog.Logger
	MaxConns int32 // 0: defaultMaxConns (a pool_max_conns in the URL wins)
	// NoGroupCommit runs every Update in a transaction of its own (see sqlstore.Options.GroupCommit).
	NoGroupCommit bool
	// TransactionalViews runs every View in a transaction from its first statement (see
	// sqlstore.Dialect.SingleStatementViews).
	TransactionalViews bool
	// PollInterval is how often the change sequence is polled for lost notifications
	// (DefaultPollInterval if 0; see sequence.go).
	PollInterval time.Duration
}

// Store is the PostgreSQL storage.Store.
type Store struct {
	*sqlstore.Store
	pool   *pgxpool.Pool
	node   string
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
	// seq and pollDone: the change sequence, NOTIFY's fallback (sequence.go).
	seq      *seqTracker
	pollDone chan struct{}
	// dropNotifications makes the listener lose every notification (tests of the fallback).
	dropNotifications atomic.Bool
	// roundTrips counts the batches write transactions sent (see pipeline).
	roundTrips atomic.Int64
}

var _ storage.Store = (*Store)(nil)

func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// where describes the server of a config for error messages: host, port and database, never the password.
func where(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
}

// Open connects to the database at dbURL, applies pending migrations and starts listening for other
// nodes' changes. It fails, naming the server, when the database cannot be reached.
func Open(ctx context.Context, dbURL string, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		// pgconn redacts the password in its parse errors.
		return nil, fmt.Errorf("postgres: invalid database URL: %w", err)
	}
	if !strings.Contains(dbURL, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
		if opts.MaxConns > 0 {
			cfg.MaxConns = opts.MaxConns
		}
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", where(cfg.ConnConfig), err)
	}
	pctx, cancel := context.WithTimeout(ctx, connectTimeout)
	err = pool.Ping(pctx)
	cancel()
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: cannot reach database %s: %w", where(cfg.ConnConfig), err)
	}
	node := make([]byte, 8)
	_, _ = rand.Read(node)
	s := &Store{pool: pool, node: hex.EncodeToString(node), log: opts.Logger, done: make(chan struct{}),
		seq: newSeqTracker(), pollDone: make(chan struct{})}
	if err := s.ensureSeqTable(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %s: change sequence: %w", where(cfg.ConnConfig), err)
	}
	d := sqlstore.Dialect{
		Name: "postgres",
		IsRetryable: func(err error) bool {
			c := pgCode(err)
			return c == sqlstateSerializationFailure || c == sqlstateDeadlock
		},
		IsUniqueViolation: func(err error) bool { return pgCode(err) == sqlstateUniqueViolation },
		UpdateTx:          &sql.TxOptions{Isolation: sql.LevelSerializable},
		ViewTx:            &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
		// BEGIN and COMMIT around a one-statement read were two of its three round trips.
		SingleStatementViews: !opts.TransactionalViews,
		MigrationLock:        fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", migrationLockKey),
		Notify:               s.notify,
		BeginPipeline:        s.beginPipeline,
	}
	db := stdlib.OpenDBFromPool(pool)
	st, err := sqlstore.New(ctx, db, db, d, sqlstore.Options{Logger: opts.Logger, GroupCommit: !opts.NoGroupCommit})
	if err != nil {
		db.Close()
		pool.Close()
		return nil, fmt.Errorf("postgres: %s: %w", where(cfg.ConnConfig), err)
	}
	s.Store = st
	// The first LISTEN happens before Open returns, so no change committed after Open is missed.
	conn, err := s.listen(ctx)
	if err != nil {
		st.Close()
		pool.Close()
		return nil, fmt.Errorf("postgres: %s: listen: %w", where(cfg.ConnConfig), err)
	}
	// The baseline of the change sequence, read after LISTEN: a write committed since is heard.
	rows, err := s.pollSeq(ctx)
	if err != nil {
		conn.Release()
		st.Close()
		pool.Close()
		return nil, fmt.Errorf("postgres: %s: change sequence: %w", where(cfg.ConnConfig), err)
	}
	s.seq.polled(rows, true)
	lctx, lcancel := context.WithCancel(context.Background())
	s.cancel = lcancel
	go s.listenLoop(lctx, conn)
	every := opts.PollInterval
	if every <= 0 {
		every = DefaultPollInterval
	}
	go s.pollLoop(lctx, every)
	return s, nil
}

// payload is a NOTIFY message: the sending node and its changes as [kind, account, key] triples.
type payload struct {
	Node string `json:"n"`
	// Owned is payloadOwnedChanges when the sender publishes an owner's attachment and inline-policy
	// changes with its creation, rename and deletion (see ownedChanges); older nodes leave it out.
	Owned int `json:"o,omitempty"`
	// Seq is the sending node's change sequence number after the transaction (in its first payload).
	Seq     int64       `json:"s,omitempty"`
	Changes [][3]string `json:"c"`
}

// payloadOwnedChanges marks the payloads of nodes that publish ChangeAttachment and ChangeInlinePolicy
// for an owner they create, rename or delete, so that caches keep an owner's policy lists across a
// change of its row alone (a retag). An older node, still running beside new ones during a rolling
// upgrade, publishes only the owner's row change and relied on caches dropping the lists with it: its
// changes are widened on receipt (ownedChanges), or a user deleted and created again under its name on
// old nodes would be served its namesake's cached policies by new ones.
const payloadOwnedChanges = 1

// ownedChanges returns the changes of a payload from a node that does not mark itself with
// payloadOwnedChanges, each owner's row change followed by the changes of its policy lists.
func ownedChanges(changes []storage.Change) []storage.Change {
	out := make([]storage.Change, 0, len(changes))
	for _, c := range changes {
		out = append(out, c)
		var kind storage.OwnerKind
		switch c.Kind {
		case storage.ChangeUser:
			kind = storage.OwnerUser
		case storage.ChangeRole:
			kind = storage.OwnerRole
		case storage.ChangeGroup:
			kind = storage.OwnerGroup
		default:
			continue
		}
		key := string(kind) + ":" + storage.Fold(c.Key)
		out = append(out, storage.Change{Kind: storage.ChangeAttachment, AccountID: c.AccountID, Key: key},
			storage.Change{Kind: storage.ChangeInlinePolicy, AccountID: c.AccountID, Key: key})
	}
	return out
}

// notify returns the pg_notify statements carrying changes; PostgreSQL delivers them only if the
// transaction commits. The payloads are arguments: the statements' texts stay the same from transaction
// to transaction, so the driver prepares each once per connection, and all of a transaction's go with
// its COMMIT (see Pipeline).
func (s *Store) notify(changes []storage.Change) ([]sqlstore.Statement, error) {
	if len(changes) > maxNotifiedChanges {
		changes = []storage.Change{{Kind: storage.ChangeAll}}
	}
	p := payload{Node: s.node, Owned: payloadOwnedChanges}
	size := 0
	var stmts []sqlstore.Statement
	flush := func() error {
		if len(p.Changes) == 0 {
			return nil
		}
		if len(stmts) == 0 {
			// The first payload carries the sequence number the statement assigns.
			b, err := json.Marshal(p.Changes)
			if err != nil {
				return err
			}
			p.Changes, size = nil, 0
			stmts = append(stmts, s.seqStatement(`{"n":"`+s.node+`","o":`+strconv.Itoa(payloadOwnedChanges)+`,"s":`, `,"c":`+string(b)+`}`))
			return nil
		}
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		p.Changes, size = nil, 0
		stmts = append(stmts, sqlstore.Statement{Query: sqlNotify, Args: []any{string(b)}})
		return nil
	}
	for _, c := range changes {
		n := len(c.Kind) + len(c.AccountID) + len(c.Key) + 16
		if size+n > maxPayload-64 {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		p.Changes = append(p.Changes, [3]string{string(c.Kind), c.AccountID, c.Key})
		size += n
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return stmts, nil
}

// sqlNotify sends one payload (argument: the payload) to other nodes.
const sqlNotify = `SELECT pg_notify('` + Channel + `', $1::text)`

func (s *Store) listen(ctx context.Context) (*pgxpool.Conn, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		conn.Release()
		return nil, err
	}
	return conn, nil
}

// listenLoop feeds other nodes' changes into the hub, reconnecting when the connection drops. After a
// reconnect it publishes ChangeAll: notifications sent while it was away are lost.
func (s *Store) listenLoop(ctx context.Context, conn *pgxpool.Conn) {
	defer close(s.done)
	backoff := listenRetryMin
	for {
		if conn == nil {
			var err error
			conn, err = s.listen(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				s.log.Warn("postgres: change listener cannot reconnect", "err", err, "retry_in", backoff)
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
				backoff = min(backoff*2, listenRetryMax)
				continue
			}
			backoff = listenRetryMin
			s.Hub().Publish([]storage.Change{{Kind: storage.ChangeAll}})
		}
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			// The connection's state is unknown after an interrupted wait: never return it to the pool.
			conn.Hijack().Close(context.Background())
			conn = nil
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("postgres: change listener lost its connection", "err", err)
			continue
		}
		var p payload
		if err := json.Unmarshal([]byte(n.Payload), &p); err != nil {
			s.log.Warn("postgres: bad change notification", "err", err)
			s.Hub().Publish([]storage.Change{{Kind: storage.ChangeAll}})
			continue
		}
		if p.Node == s.node || s.dropNotifications.Load() {
			continue // published locally at commit
		}
		if p.Seq > 0 && !s.seq.notified(p.Node, p.Seq) {
			s.log.Warn("postgres: change notifications were lost; dropping every cached row", "node", p.Node)
			s.Hub().Publish([]storage.Change{{Kind: storage.ChangeAll}})
		}
		changes := make([]storage.Change, 0, len(p.Changes))
		for _, c := range p.Changes {
			changes = append(changes, storage.Change{Kind: storage.ChangeKind(c[0]), AccountID: c[1], Key: c[2]})
		}
		if p.Owned < payloadOwnedChanges {
			changes = ownedChanges(changes)
		}
		s.Hub().Publish(changes)
	}
}

// Backup is not built in for PostgreSQL: use pg_dump, which takes a consistent snapshot of a live
// database (pg_dump --format=custom --file=iamd.dump "$DATABASE_URL"; restore with pg_restore).
func (s *Store) Backup(ctx context.Context, w io.Writer) error {
	return errors.New(`postgres: online backup is not built in: use pg_dump --format=custom --file=iamd.dump "$DATABASE_URL" (restore with pg_restore)`)
}

// Close stops the listener and closes the pool.
func (s *Store) Close() error {
	var err error
	s.once.Do(func() {
		s.cancel()
		<-s.done
		<-s.pollDone
		err = s.Store.Close()
		s.pool.Close()
	})
	return err
}

package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/iamd/iamd/internal/audit"
	"github.com/iamd/iamd/internal/storage"
)

var _ audit.Store = (*Store)(nil)

// ErrInvalidToken is returned by Lookup for a continuation it did not make.
var ErrInvalidToken = errors.New("storage: invalid continuation token")

const (
	sqlInsertEvent = `INSERT INTO events (event_id, account_id, event_time, event_source, event_name, read_only,
		username, access_key_id, record) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	// A preliminary event (stored with the write it records) never replaces anything.
	sqlInsertEventPrelim = sqlInsertEvent + ` ON CONFLICT (event_id) DO NOTHING`
	// The final event replaces its preliminary form: the outcome and what only the outcome names.
	sqlInsertEventFinal = sqlInsertEvent + ` ON CONFLICT (event_id) DO UPDATE SET record = excluded.record,
		username = excluded.username, access_key_id = excluded.access_key_id`
	sqlInsertEventResource = `INSERT INTO event_resources (event_id, account_id, event_time, type, name)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`
	eventColumns = `e.event_id, e.account_id, e.event_time, e.event_source, e.event_name, e.read_only,
		e.username, e.access_key_id, e.record`
)

// withPendingEvent wraps fn so that the transaction that runs it also stores the preliminary events of
// the request ctx carries (see audit.Pending), when no earlier transaction of the request stored them.
// done is called once the transaction committed.
func withPendingEvent(ctx context.Context, fn func(tx storage.Tx) error) (func(tx storage.Tx) error, func()) {
	p := audit.PendingFrom(ctx)
	if p == nil {
		return fn, nil
	}
	evs := p.Unstored()
	if len(evs) == 0 {
		return fn, nil
	}
	return func(tx storage.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		t, ok := tx.(*txn)
		if !ok {
			return fmt.Errorf("storage: events: unexpected transaction %T", tx)
		}
		return t.insertEvents(ctx, evs, sqlInsertEventPrelim)
	}, p.Stored
}

// insertEvents writes events and their resources with the given insert statement.
func (t *txn) insertEvents(ctx context.Context, evs []audit.Event, insert string) error {
	for i := range evs {
		ev := &evs[i]
		ro := 0
		if ev.ReadOnly {
			ro = 1
		}
		at := ev.EventTime.UnixNano()
		if _, err := t.exec(ctx, insert, ev.EventID, ev.AccountID, at, ev.EventSource, ev.EventName, ro,
			ev.Username, ev.AccessKeyID, string(ev.Record)); err != nil {
			return fmt.Errorf("storage: event %s: %w", ev.EventID, err)
		}
		for _, r := range ev.Resources {
			if _, err := t.exec(ctx, sqlInsertEventResource, ev.EventID, ev.AccountID, at, r.Type, r.Name); err != nil {
				return fmt.Errorf("storage: event %s resource: %w", ev.EventID, err)
			}
		}
	}
	return nil
}

// AppendEvents implements audit.Store.
func (s *Store) AppendEvents(ctx context.Context, evs []audit.Event) error {
	if len(evs) == 0 {
		return nil
	}
	return s.Update(ctx, func(tx storage.Tx) error {
		return tx.(*txn).insertEvents(ctx, evs, sqlInsertEventFinal)
	})
}

// PurgeEvents implements audit.Store: it deletes up to limit expired events of each account in turn
// (the events' index leads with the account), at most limit in all.
func (s *Store) PurgeEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	accts, err := s.eventAccounts(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, a := range accts {
		if total >= limit {
			break
		}
		var n int64
		err := s.Update(ctx, func(tx storage.Tx) error {
			var err error
			n, err = tx.(*txn).exec(ctx, `DELETE FROM events WHERE event_id IN (SELECT event_id FROM events
				WHERE account_id = $1 AND event_time < $2 ORDER BY event_time LIMIT $3)`, a, before.UnixNano(), limit-total)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("storage: purge events: %w", err)
		}
		total += int(n)
	}
	return total, nil
}

// eventAccounts lists the accounts that have events.
func (s *Store) eventAccounts(ctx context.Context) ([]string, error) {
	rows, err := s.ReadDB.QueryContext(ctx, `SELECT DISTINCT account_id FROM events`)
	if err != nil {
		return nil, fmt.Errorf("storage: event accounts: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("storage: event accounts: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ExportEvents implements audit.Store: account by account, each account's events oldest first.
func (s *Store) ExportEvents(ctx context.Context, since, until time.Time, fn func(audit.Event) error) error {
	accts, err := s.eventAccounts(ctx)
	if err != nil {
		return err
	}
	const page = 1000
	for _, a := range accts {
		lastT, lastID := since.UnixNano(), ""
		for {
			evs, err := s.queryEvents(ctx, `SELECT `+eventColumns+` FROM events e WHERE e.account_id = $1
				AND (e.event_time > $2 OR e.event_time = $2 AND e.event_id > $3) AND e.event_time < $4
				ORDER BY e.event_time, e.event_id LIMIT $5`, a, lastT, lastID, until.UnixNano(), page)
			if err != nil {
				return err
			}
			for _, ev := range evs {
				if err := fn(ev); err != nil {
					return err
				}
			}
			if len(evs) < page {
				break
			}
			last := evs[len(evs)-1]
			lastT, lastID = last.EventTime.UnixNano(), last.EventID
		}
	}
	return nil
}

// Lookup implements audit.History: one account's events, newest first, filtered by at most one
// attribute and a time range, Limit at a time.
func (s *Store) Lookup(ctx context.Context, q audit.Query) (audit.Page, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	end := int64(1<<63 - 1)
	if !q.End.IsZero() {
		end = q.End.UnixNano()
	}
	start := int64(-1 << 63)
	if !q.Start.IsZero() {
		start = q.Start.UnixNano()
	}
	afterID := "\U0010FFFF" // sorts after every event ID (UUIDs): the first page starts at end itself
	if q.After != "" {
		t, id, ok := parseToken(q.After)
		if !ok {
			return audit.Page{}, ErrInvalidToken
		}
		end, afterID = min(end, t), id
		if t > end {
			afterID = "\U0010FFFF"
		}
	}
	args := []any{q.AccountID, start, end, afterID}
	from := `events e`
	where := ``
	switch q.Attribute {
	case "":
	case audit.AttrEventID:
		where, args = ` AND e.event_id = $6`, append(args, q.Value)
	case audit.AttrEventName:
		where, args = ` AND e.event_name = $6`, append(args, q.Value)
	case audit.AttrUsername:
		where, args = ` AND e.username = $6`, append(args, q.Value)
	case audit.AttrAccessKeyID:
		where, args = ` AND e.access_key_id = $6`, append(args, q.Value)
	case audit.AttrEventSource:
		where, args = ` AND e.event_source = $6`, append(args, q.Value)
	case audit.AttrReadOnly:
		ro := 0
		if strings.EqualFold(q.Value, "true") {
			ro = 1
		}
		where, args = ` AND e.read_only = $6`, append(args, ro)
	case audit.AttrResourceType, audit.AttrResourceName:
		col := "type"
		if q.Attribute == audit.AttrResourceName {
			col = "name"
		}
		// Ordered by the resource row's own copy of the time, which its index holds.
		rows, err := s.queryEvents(ctx, `SELECT DISTINCT `+eventColumns+` FROM event_resources r
			JOIN events e ON e.event_id = r.event_id
			WHERE r.account_id = $1 AND r.event_time >= $2 AND r.event_time <= $3 AND (r.event_time < $3 OR r.event_time = $3 AND r.event_id < $4)
			AND r.`+col+` = $6 ORDER BY e.event_time DESC, e.event_id DESC LIMIT $5`,
			q.AccountID, start, end, afterID, limit+1, q.Value)
		if err != nil {
			return audit.Page{}, err
		}
		return pageOf(rows, limit), nil
	default:
		return audit.Page{}, fmt.Errorf("storage: unknown lookup attribute %q", q.Attribute)
	}
	args = append(args[:4], append([]any{limit + 1}, args[4:]...)...)
	evs, err := s.queryEvents(ctx, `SELECT `+eventColumns+` FROM `+from+` WHERE e.account_id = $1
		AND e.event_time >= $2 AND e.event_time <= $3 AND (e.event_time < $3 OR e.event_time = $3 AND e.event_id < $4)`+where+`
		ORDER BY e.event_time DESC, e.event_id DESC LIMIT $5`, args...)
	if err != nil {
		return audit.Page{}, err
	}
	return pageOf(evs, limit), nil
}

// pageOf cuts the limit+1 events read to a page, with the continuation after its last when there are
// more.
func pageOf(evs []audit.Event, limit int) audit.Page {
	if len(evs) <= limit {
		return audit.Page{Events: evs}
	}
	evs = evs[:limit]
	last := evs[limit-1]
	return audit.Page{Events: evs, Next: strconv.FormatInt(last.EventTime.UnixNano(), 36) + "." + last.EventID}
}

// parseToken reads a continuation made by pageOf.
func parseToken(s string) (int64, string, bool) {
	t, id, ok := strings.Cut(s, ".")
	if !ok || id == "" || len(s) > 128 {
		return 0, "", false
	}
	n, err := strconv.ParseInt(t, 36, 64)
	if err != nil {
		return 0, "", false
	}
	return n, id, true
}

// queryEvents runs a query of eventColumns on the read pool.
func (s *Store) queryEvents(ctx context.Context, query string, args ...any) ([]audit.Event, error) {
	rows, err := s.ReadDB.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("storage: events: %w", err)
	}
	defer rows.Close()
	var out []audit.Event
	for rows.Next() {
		var ev audit.Event
		var at int64
		var ro int
		var record string
		if err := rows.Scan(&ev.EventID, &ev.AccountID, &at, &ev.EventSource, &ev.EventName, &ro,
			&ev.Username, &ev.AccessKeyID, &record); err != nil {
			return nil, fmt.Errorf("storage: events: %w", err)
		}
		ev.EventTime, ev.ReadOnly, ev.Record = time.Unix(0, at).UTC(), ro != 0, []byte(record)
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: events: %w", err)
	}
	if err := s.loadResources(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// loadResources fills the events' resources.
func (s *Store) loadResources(ctx context.Context, evs []audit.Event) error {
	for i := range evs {
		rows, err := s.ReadDB.QueryContext(ctx, s.q(`SELECT type, name FROM event_resources WHERE event_id = $1
			ORDER BY type, name`), evs[i].EventID)
		if err != nil {
			return fmt.Errorf("storage: event resources: %w", err)
		}
		for rows.Next() {
			var r audit.Resource
			if err := rows.Scan(&r.Type, &r.Name); err != nil {
				rows.Close()
				return fmt.Errorf("storage: event resources: %w", err)
			}
			evs[i].Resources = append(evs[i].Resources, r)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("storage: event resources: %w", err)
		}
	}
	return nil
}

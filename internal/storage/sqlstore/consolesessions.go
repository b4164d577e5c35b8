package sqlstore

import (
	"context"
	"fmt"

	"github.com/iamd/iamd/internal/storage"
)

func (t *txn) CreateConsoleSession(ctx context.Context, s *storage.ConsoleSession) error {
	data, err := marshal(s)
	if err != nil {
		return err
	}
	n, err := t.exec(ctx, `INSERT INTO console_sessions (id, account_id, created_at, data) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
		s.ID, s.AccountID, s.CreatedAt.UnixNano(), data)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("console session: %w", storage.ErrAlreadyExists)
	}
	return nil
}

func (t *txn) GetConsoleSession(ctx context.Context, id string) (*storage.ConsoleSession, error) {
	var data string
	if err := t.row(ctx, `SELECT data FROM console_sessions WHERE id = $1`, id).Scan(&data); err != nil {
		return nil, scanErr(err, "console session", "")
	}
	s := new(storage.ConsoleSession)
	if err := unmarshal(data, s); err != nil {
		return nil, err
	}
	return s, nil
}

func (t *txn) UpdateConsoleSession(ctx context.Context, s *storage.ConsoleSession) error {
	data, err := marshal(s)
	if err != nil {
		return err
	}
	n, err := t.exec(ctx, `UPDATE console_sessions SET data = $2 WHERE id = $1`, s.ID, data)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("console session: %w", storage.ErrNotFound)
	}
	return nil
}

func (t *txn) DeleteConsoleSession(ctx context.Context, id string) error {
	n, err := t.exec(ctx, `DELETE FROM console_sessions WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("console session: %w", storage.ErrNotFound)
	}
	return nil
}

func (t *txn) ListConsoleSessions(ctx context.Context, acct string) ([]*storage.ConsoleSession, error) {
	rows, err := t.query(ctx, `SELECT data FROM console_sessions WHERE account_id = $1 ORDER BY created_at, id`, acct)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*storage.ConsoleSession
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("storage: scan: %w", err)
		}
		s := new(storage.ConsoleSession)
		if err := unmarshal(data, s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

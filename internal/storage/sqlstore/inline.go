package sqlstore

import (
	"context"
	"fmt"

	"github.com/iamd/iamd/internal/storage"
)

func validOwner(kind storage.OwnerKind) error {
	switch kind {
	case storage.OwnerUser, storage.OwnerGroup, storage.OwnerRole:
		return nil
	}
	return fmt.Errorf("storage: invalid owner kind %q", kind)
}

func ownerKey(kind storage.OwnerKind, owner string) string {
	return string(kind) + ":" + storage.Fold(owner)
}

func (t *txn) PutInlinePolicy(ctx context.Context, p *storage.InlinePolicy) error {
	if err := validOwner(p.OwnerKind); err != nil {
		return err
	}
	if err := t.entityExists(ctx, string(p.OwnerKind), p.AccountID, p.OwnerName); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO inline_policies (account_id, owner_kind, owner_key, fkey, name, document)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (account_id, owner_kind, owner_key, fkey) DO UPDATE SET name = excluded.name, document = excluded.document`,
		p.AccountID, string(p.OwnerKind), storage.Fold(p.OwnerName), storage.Fold(p.Name), p.Name, p.Document)
	if err != nil {
		return err
	}
	t.changed(storage.ChangeInlinePolicy, p.AccountID, ownerKey(p.OwnerKind, p.OwnerName))
	return nil
}

const inlineSelect = `SELECT e.name, i.name, i.document FROM inline_policies i JOIN entities e
	ON e.account_id = i.account_id AND e.kind = i.owner_kind AND e.fkey = i.owner_key
	WHERE i.account_id = $1 AND i.owner_kind = $2 AND i.owner_key = $3`

func scanInline(rows resultRows, acct string, kind storage.OwnerKind) ([]*storage.InlinePolicy, error) {
	defer rows.Close()
	var out []*storage.InlinePolicy
	for rows.Next() {
		p := &storage.InlinePolicy{AccountID: acct, OwnerKind: kind}
		if err := rows.Scan(&p.OwnerName, &p.Name, &p.Document); err != nil {
			return nil, fmt.Errorf("storage: scan: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: rows: %w", err)
	}
	return out, nil
}

func (t *txn) GetInlinePolicy(ctx context.Context, acct string, kind storage.OwnerKind, owner, name string) (*storage.InlinePolicy, error) {
	if err := validOwner(kind); err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, inlineSelect+` AND i.fkey = $4`, acct, string(kind), storage.Fold(owner), storage.Fold(name))
	if err != nil {
		return nil, err
	}
	ps, err := scanInline(rows, acct, kind)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("inline policy %q of %s %q: %w", name, kind, owner, storage.ErrNotFound)
	}
	return ps[0], nil
}

func (t *txn) DeleteInlinePolicy(ctx context.Context, acct string, kind storage.OwnerKind, owner, name string) error {
	n, err := t.exec(ctx, `DELETE FROM inline_policies WHERE account_id = $1 AND owner_kind = $2 AND owner_key = $3 AND fkey = $4`,
		acct, string(kind), storage.Fold(owner), storage.Fold(name))
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("inline policy %q of %s %q: %w", name, kind, owner, storage.ErrNotFound)
	}
	t.changed(storage.ChangeInlinePolicy, acct, ownerKey(kind, owner))
	return nil
}

func (t *txn) ListInlinePolicies(ctx context.Context, acct string, kind storage.OwnerKind, owner string, opts storage.ListOptions) ([]*storage.InlinePolicy, error) {
	if err := validOwner(kind); err != nil {
		return nil, err
	}
	if err := t.entityExists(ctx, string(kind), acct, owner); err != nil {
		return nil, err
	}
	opts.PathPrefix = ""
	q, args := page(inlineSelect, []any{acct, string(kind), storage.Fold(owner)}, opts, "i.fkey", "", true)
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return scanInline(rows, acct, kind)
}

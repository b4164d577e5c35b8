package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/iamd/iamd/internal/storage"
)

// errEnough stops a row walk that has read what it may.
var errEnough = errors.New("enough rows")

// OwnerDetailsInRange implements storage.Tx. The ranges are on the owner keys the per-owner listings use,
// with their orders as second sort keys, so each owner's lists come out as those listings give them. The
// inline policies are read first: where maxBytes cuts them short, the other two queries stop at the same
// owner.
func (t *txn) OwnerDetailsInRange(ctx context.Context, acct string, kind storage.OwnerKind, from, to string, maxBytes int) (map[string]*storage.OwnerDetails, string, error) {
	if err := validOwner(kind); err != nil {
		return nil, "", err
	}
	out := map[string]*storage.OwnerDetails{}
	of := func(key string) *storage.OwnerDetails {
		d := out[key]
		if d == nil {
			d = &storage.OwnerDetails{}
			out[key] = d
		}
		return d
	}

	rows, err := t.query(ctx, `SELECT i.owner_key, e.name, i.name, i.document FROM inline_policies i JOIN entities e
		ON e.account_id = i.account_id AND e.kind = i.owner_kind AND e.fkey = i.owner_key
		WHERE i.account_id = $1 AND i.owner_kind = $2 AND i.owner_key >= $3 AND i.owner_key <= $4
		ORDER BY i.owner_key, i.fkey`, acct, string(kind), from, to)
	if err != nil {
		return nil, "", err
	}
	read, last := 0, ""
	err = eachRow(rows, func(scan func(...any) error) error {
		var key string
		p := &storage.InlinePolicy{AccountID: acct, OwnerKind: kind}
		if err := scan(&key, &p.OwnerName, &p.Name, &p.Document); err != nil {
			return err
		}
		if maxBytes > 0 && key != last && read >= maxBytes {
			to = last
			return errEnough
		}
		last = key
		read += len(p.Document)
		d := of(key)
		d.Inline = append(d.Inline, p)
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, "", err
	}

	rows, err = t.query(ctx, `SELECT owner_key, policy_arn FROM attachments
		WHERE account_id = $1 AND owner_kind = $2 AND owner_key >= $3 AND owner_key <= $4
		ORDER BY owner_key, policy_arn`, acct, string(kind), from, to)
	if err != nil {
		return nil, "", err
	}
	err = eachRow(rows, func(scan func(...any) error) error {
		var key, arn string
		if err := scan(&key, &arn); err != nil {
			return err
		}
		d := of(key)
		d.Attached = append(d.Attached, arn)
		return nil
	})
	if err != nil {
		return nil, "", err
	}

	if kind != storage.OwnerUser {
		return out, to, nil
	}
	rows, err = t.query(ctx, `SELECT m.user_key, e.data FROM members m JOIN entities e
		ON e.account_id = m.account_id AND e.kind = m.group_kind AND e.fkey = m.group_key
		WHERE m.account_id = $1 AND m.user_key >= $2 AND m.user_key <= $3
		ORDER BY m.user_key, m.group_key`, acct, from, to)
	if err != nil {
		return nil, "", err
	}
	err = eachRow(rows, func(scan func(...any) error) error {
		var key, data string
		if err := scan(&key, &data); err != nil {
			return err
		}
		g := new(storage.Group)
		if err := unmarshal(data, g); err != nil {
			return err
		}
		d := of(key)
		d.Groups = append(d.Groups, g)
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, to, nil
}

// eachRow calls fn for every row, then closes the rows.
func eachRow(rows resultRows, fn func(scan func(...any) error) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return fmt.Errorf("storage: scan: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("storage: rows: %w", err)
	}
	return nil
}

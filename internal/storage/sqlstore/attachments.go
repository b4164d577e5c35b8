package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/iamd/iamd/internal/storage"
)

func (t *txn) AttachPolicy(ctx context.Context, acct string, kind storage.OwnerKind, owner, policyARN string) error {
	if err := validOwner(kind); err != nil {
		return err
	}
	if err := t.entityExists(ctx, string(kind), acct, owner); err != nil {
		return err
	}
	n, err := t.exec(ctx, `INSERT INTO attachments (account_id, owner_kind, owner_key, policy_arn, policy_ref)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		acct, string(kind), storage.Fold(owner), policyARN, policyRef(policyARN))
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("policy %s on %s %q: %w", policyARN, kind, owner, storage.ErrAlreadyExists)
	}
	t.changed(storage.ChangeAttachment, acct, ownerKey(kind, owner))
	return nil
}

func (t *txn) DetachPolicy(ctx context.Context, acct string, kind storage.OwnerKind, owner, policyARN string) error {
	n, err := t.exec(ctx, `DELETE FROM attachments WHERE account_id = $1 AND owner_kind = $2 AND owner_key = $3 AND policy_arn = $4`,
		acct, string(kind), storage.Fold(owner), policyARN)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("policy %s on %s %q: %w", policyARN, kind, owner, storage.ErrNotFound)
	}
	t.changed(storage.ChangeAttachment, acct, ownerKey(kind, owner))
	return nil
}

// arnPath is the path of a policy ARN (arn:aws:iam::123:policy/a/b/Name → /a/b/).
func arnPath(arn string) string {
	i := strings.Index(arn, ":policy/")
	if i < 0 {
		return "/"
	}
	res := arn[i+len(":policy"):]
	return res[:strings.LastIndexByte(res, '/')+1]
}

func (t *txn) ListAttachedPolicies(ctx context.Context, acct string, kind storage.OwnerKind, owner string, opts storage.ListOptions) ([]string, error) {
	if err := validOwner(kind); err != nil {
		return nil, err
	}
	// An owner has at most a few dozen attachments (IAM quota 10, at most 20), so the path filter, which
	// needs the path out of the ARN, runs here rather than in SQL. The owner's existence comes with the
	// attachments (no row: no owner; one NULL: none attached), so that a View of this alone is one
	// statement (see viewRunner).
	rows, err := t.query(ctx, `SELECT a.policy_arn FROM entities e LEFT JOIN attachments a
		ON a.account_id = e.account_id AND a.owner_kind = e.kind AND a.owner_key = e.fkey
		WHERE e.account_id = $1 AND e.kind = $2 AND e.fkey = $3 ORDER BY a.policy_arn`, acct, string(kind), storage.Fold(owner))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := false
	var out []string
	for rows.Next() {
		found = true
		var a sql.NullString
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("storage: scan: %w", err)
		}
		arn := a.String
		if !a.Valid || opts.After != "" && arn <= opts.After {
			continue
		}
		if !strings.HasPrefix(arnPath(arn), opts.PathPrefix) {
			continue
		}
		if opts.Limit > 0 && len(out) == opts.Limit {
			break
		}
		out = append(out, arn)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: rows: %w", err)
	}
	if !found {
		return nil, fmt.Errorf("%s %q: %w", kind, owner, storage.ErrNotFound)
	}
	return out, nil
}

func (t *txn) ListEntitiesForPolicy(ctx context.Context, acct, policyARN string, opts storage.ListOptions) ([]storage.Owner, error) {
	return t.listOwners(ctx, "attachments", acct, policyARN, opts)
}

func (t *txn) ListBoundaryEntities(ctx context.Context, acct, policyARN string, opts storage.ListOptions) ([]storage.Owner, error) {
	return t.listOwners(ctx, "boundaries", acct, policyARN, opts)
}

// listOwners lists the owners in a relation table (attachments or boundaries) that use a policy.
func (t *txn) listOwners(ctx context.Context, table, acct, policyARN string, opts storage.ListOptions) ([]storage.Owner, error) {
	q, args := page(`SELECT a.owner_kind, e.name FROM `+table+` a JOIN entities e
		ON e.account_id = a.account_id AND e.kind = a.owner_kind AND e.fkey = a.owner_key
		WHERE a.account_id = $1 AND a.policy_ref = $2`, []any{acct, policyRef(policyARN)}, opts,
		"a.owner_kind || ':' || a.owner_key", "e.path", false)
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storage.Owner
	for rows.Next() {
		var o storage.Owner
		var kind string
		if err := rows.Scan(&kind, &o.Name); err != nil {
			return nil, fmt.Errorf("storage: scan: %w", err)
		}
		o.Kind = storage.OwnerKind(kind)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: rows: %w", err)
	}
	return out, nil
}

func (t *txn) PolicyUsage(ctx context.Context, acct, policyARN string) (storage.PolicyUsage, error) {
	u := storage.PolicyUsage{ARN: policyARN}
	ref := policyRef(policyARN)
	err := t.row(ctx, `SELECT
		(SELECT count(*) FROM attachments WHERE account_id = $1 AND policy_ref = $2),
		(SELECT count(*) FROM boundaries WHERE account_id = $1 AND policy_ref = $2)`, acct, ref).
		Scan(&u.Attachments, &u.BoundaryUses)
	if err != nil {
		return u, fmt.Errorf("storage: policy usage: %w", err)
	}
	return u, nil
}

func (t *txn) ListPolicyUsage(ctx context.Context, acct string) ([]storage.PolicyUsage, error) {
	rows, err := t.query(ctx, `SELECT 'a', policy_arn, count(*) FROM attachments WHERE account_id = $1 GROUP BY policy_arn
		UNION ALL SELECT 'b', policy_arn, count(*) FROM boundaries WHERE account_id = $1 GROUP BY policy_arn`, acct)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byARN := map[string]*storage.PolicyUsage{}
	for rows.Next() {
		var which, arn string
		var n int64
		if err := rows.Scan(&which, &arn, &n); err != nil {
			return nil, fmt.Errorf("storage: scan: %w", err)
		}
		u := byARN[arn]
		if u == nil {
			u = &storage.PolicyUsage{ARN: arn}
			byARN[arn] = u
		}
		if which == "a" {
			u.Attachments += n
		} else {
			u.BoundaryUses += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: rows: %w", err)
	}
	out := make([]storage.PolicyUsage, 0, len(byARN))
	for _, u := range byARN {
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b storage.PolicyUsage) int { return strings.Compare(a.ARN, b.ARN) })
	return out, nil
}

// readBoundary notes, in a write transaction, the boundary of a user or role row as read: the row holds it
// as the boundaries table does (both are written together), so an update that keeps it (tags,
// descriptions, trust policies: most of them) need not write the table again, a round trip of the
// writer's on PostgreSQL. What is noted holds until the transaction's next write (boundaryUnchanged).
func (t *txn) readBoundary(kind, acct, name, arn string) {
	if !t.write {
		return
	}
	if t.boundaries == nil {
		t.boundaries = make(map[boundaryOwner]string)
	}
	t.boundaries[boundaryOwner{kind, acct, storage.Fold(name)}] = arn
}

// boundaryOwner is a user or role whose boundary a transaction read.
type boundaryOwner struct{ kind, account, name string }

// boundaryUnchanged reports, before an update of a user or role from oldName to name, whether its
// boundary is known to be arn already: read in this transaction with no write since, and not renamed.
func (t *txn) boundaryUnchanged(kind, acct, oldName, name, arn string) bool {
	if storage.Fold(oldName) != storage.Fold(name) {
		return false
	}
	was, ok := t.boundaries[boundaryOwner{kind, acct, storage.Fold(name)}]
	return ok && was == arn
}

// updateBoundary writes an updated owner's boundary unless same, and notes it as known.
func (t *txn) updateBoundary(ctx context.Context, same bool, acct, kind, name, arn string) error {
	if !same {
		if err := t.setBoundary(ctx, acct, kind, name, arn); err != nil {
			return err
		}
	}
	t.readBoundary(kind, acct, name, arn)
	return nil
}

func (t *txn) setBoundary(ctx context.Context, acct, kind, name, arn string) error {
	if arn == "" {
		_, err := t.exec(ctx, `DELETE FROM boundaries WHERE account_id = $1 AND owner_kind = $2 AND owner_key = $3`,
			acct, kind, storage.Fold(name))
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO boundaries (account_id, owner_kind, owner_key, policy_arn, policy_ref)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, owner_kind, owner_key)
		DO UPDATE SET policy_arn = excluded.policy_arn, policy_ref = excluded.policy_ref`,
		acct, kind, storage.Fold(name), arn, policyRef(arn))
	return err
}

// addBoundary sets the boundary of an owner created in this transaction, which has none: a deleted
// owner's boundary went with it (ON DELETE CASCADE).
func (t *txn) addBoundary(ctx context.Context, acct, kind, name, arn string) error {
	if arn == "" {
		return nil
	}
	_, err := t.exec(ctx, `INSERT INTO boundaries (account_id, owner_kind, owner_key, policy_arn, policy_ref)
		VALUES ($1, $2, $3, $4, $5)`, acct, kind, storage.Fold(name), arn, policyRef(arn))
	return err
}

// policyRef is an ARN without "arn:PARTITION:iam::": ACCOUNT:policy/PATH/NAME or aws:policy/PATH/NAME.
func policyRef(arn string) string {
	if i := strings.Index(arn, ":iam::"); i >= 0 {
		return arn[i+len(":iam::"):]
	}
	return arn
}

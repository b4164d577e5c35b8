package conformance

import (
	"context"
	"fmt"
	"testing"

	"github.com/iamd/iamd/internal/storage"
)

func testManagedPolicies(t *testing.T, s storage.Store) {
	const arn = "arn:aws:iam::" + Acct + ":policy/team/ReadAll"
	const awsARN = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		p := &storage.ManagedPolicy{AccountID: Acct, Name: "ReadAll", Path: "/team/", ID: "ANPA0000000000000001",
			Description: "read", DefaultVersionID: "v1", CreatedAt: t0, UpdatedAt: t0}
		if err := tx.CreateManagedPolicy(ctx, p); err != nil {
			return err
		}
		v := &storage.PolicyVersion{Document: `{"v":1}`, CreatedAt: t0}
		if err := tx.CreatePolicyVersion(ctx, Acct, "ReadAll", v); err != nil {
			return err
		}
		if v.VersionID != "v1" {
			return fmt.Errorf("first version %q", v.VersionID)
		}
		for i, u := range []string{"u1", "u2"} {
			if err := tx.CreateUser(ctx, user(Acct, u, i)); err != nil {
				return err
			}
		}
		if err := tx.CreateRole(ctx, &storage.Role{AccountID: Acct, Name: "r1", Path: "/", ID: "AROA1", PermissionsBoundaryARN: arn}); err != nil {
			return err
		}
		if err := tx.CreateGroup(ctx, &storage.Group{AccountID: Acct, Name: "g1", Path: "/", ID: "AGPA1"}); err != nil {
			return err
		}
		for _, o := range []storage.Owner{{Kind: storage.OwnerUser, Name: "u2"}, {Kind: storage.OwnerUser, Name: "u1"},
			{Kind: storage.OwnerRole, Name: "r1"}, {Kind: storage.OwnerGroup, Name: "g1"}} {
			if err := tx.AttachPolicy(ctx, Acct, o.Kind, o.Name, arn); err != nil {
				return err
			}
		}
		return tx.AttachPolicy(ctx, Acct, storage.OwnerUser, "u1", awsARN)
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.AttachPolicy(ctx, Acct, storage.OwnerUser, "U1", arn)
	}), storage.ErrAlreadyExists)
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.AttachPolicy(ctx, Acct, storage.OwnerUser, "nobody", arn)
	}), storage.ErrNotFound)
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateManagedPolicy(ctx, &storage.ManagedPolicy{AccountID: Acct, Name: "READALL", Path: "/other/", ID: "ANPA2"})
	}), storage.ErrAlreadyExists)

	// Versions: IDs are never reused, even when a caller writes back a stale policy copy.
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		stale, err := tx.GetManagedPolicy(ctx, Acct, "readall")
		if err != nil {
			return err
		}
		for i := 2; i <= 3; i++ {
			if err := tx.CreatePolicyVersion(ctx, Acct, "ReadAll", &storage.PolicyVersion{Document: fmt.Sprintf(`{"v":%d}`, i), CreatedAt: t0}); err != nil {
				return err
			}
		}
		if err := tx.DeletePolicyVersion(ctx, Acct, "ReadAll", "v3"); err != nil {
			return err
		}
		stale.DefaultVersionID = "v2"
		if err := tx.UpdateManagedPolicy(ctx, "ReadAll", stale); err != nil {
			return err
		}
		v := &storage.PolicyVersion{Document: `{"v":4}`, CreatedAt: t0}
		if err := tx.CreatePolicyVersion(ctx, Acct, "ReadAll", v); err != nil {
			return err
		}
		if v.VersionID != "v4" {
			return fmt.Errorf("version after delete = %s, want v4", v.VersionID)
		}
		return nil
	}))
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		p, err := tx.GetManagedPolicy(ctx, Acct, "READALL")
		must(t, err)
		if p.DefaultVersionID != "v2" || p.AttachmentCount != 4 || p.PermissionsBoundaryUsageCount != 1 || p.Path != "/team/" {
			t.Fatalf("policy: %+v", p)
		}
		p2, err := tx.GetManagedPolicyByID(ctx, "ANPA0000000000000001")
		must(t, err)
		if p2.AttachmentCount != 4 {
			t.Fatalf("policy by ID: %+v", p2)
		}
		vs, err := tx.ListPolicyVersions(ctx, Acct, "ReadAll")
		must(t, err)
		eq(t, "versions", names(vs, func(v *storage.PolicyVersion) string { return v.VersionID }), []string{"v4", "v2", "v1"})
		v, err := tx.GetPolicyVersion(ctx, Acct, "ReadAll", "v2")
		must(t, err)
		if v.Document != `{"v":2}` {
			t.Fatalf("v2: %+v", v)
		}
		_, err = tx.GetPolicyVersion(ctx, Acct, "ReadAll", "v3")
		wantErr(t, err, storage.ErrNotFound)
		_, err = tx.GetPolicyVersion(ctx, Acct, "ReadAll", "bogus")
		wantErr(t, err, storage.ErrNotFound)

		ents, err := tx.ListEntitiesForPolicy(ctx, Acct, arn, storage.ListOptions{})
		must(t, err)
		eq(t, "entities", ents, []storage.Owner{{Kind: storage.OwnerGroup, Name: "g1"}, {Kind: storage.OwnerRole, Name: "r1"},
			{Kind: storage.OwnerUser, Name: "u1"}, {Kind: storage.OwnerUser, Name: "u2"}})
		ents, err = tx.ListEntitiesForPolicy(ctx, Acct, arn, storage.ListOptions{After: ents[1].Key(), Limit: 1})
		must(t, err)
		eq(t, "entities page", ents, []storage.Owner{{Kind: storage.OwnerUser, Name: "u1"}})

		bs, err := tx.ListBoundaryEntities(ctx, Acct, arn, storage.ListOptions{})
		must(t, err)
		eq(t, "boundary entities", bs, []storage.Owner{{Kind: storage.OwnerRole, Name: "r1"}})
		bs, err = tx.ListBoundaryEntities(ctx, Acct, arn, storage.ListOptions{PathPrefix: "/nowhere/"})
		must(t, err)
		eq(t, "boundary entities in /nowhere/", bs, nil)

		att, err := tx.ListAttachedPolicies(ctx, Acct, storage.OwnerUser, "U1", storage.ListOptions{})
		must(t, err)
		eq(t, "attached to u1", att, []string{arn, awsARN})
		att, err = tx.ListAttachedPolicies(ctx, Acct, storage.OwnerUser, "u1", storage.ListOptions{PathPrefix: "/team/"})
		must(t, err)
		eq(t, "attached to u1 in /team/", att, []string{arn})
		att, err = tx.ListAttachedPolicies(ctx, Acct, storage.OwnerUser, "u1", storage.ListOptions{After: arn})
		must(t, err)
		eq(t, "attached to u1 after", att, []string{awsARN})

		u, err := tx.PolicyUsage(ctx, Acct, awsARN)
		must(t, err)
		if u.Attachments != 1 || u.BoundaryUses != 0 {
			t.Fatalf("aws usage: %+v", u)
		}
		all, err := tx.ListPolicyUsage(ctx, Acct)
		must(t, err)
		eq(t, "usage", all, []storage.PolicyUsage{{ARN: arn, Attachments: 4, BoundaryUses: 1}, {ARN: awsARN, Attachments: 1}})
		// Attachments are per account.
		u, err = tx.PolicyUsage(ctx, Acct2, awsARN)
		must(t, err)
		if u.Attachments != 0 {
			t.Fatalf("other account usage: %+v", u)
		}
		ps, err := tx.ListManagedPolicies(ctx, Acct, storage.ListOptions{PathPrefix: "/team/"})
		must(t, err)
		if len(ps) != 1 || ps[0].AttachmentCount != 4 {
			t.Fatalf("list policies: %+v", ps)
		}
		return nil
	})
	if c := counts(t, s, Acct); c.Policies != 1 || c.PolicyVersionsInUse != 3 {
		t.Fatalf("counts: %+v", c)
	}
	// Moving r1's boundary to another policy moves its use (one boundary per owner).
	boundaryUses := func() int64 {
		var n int64
		view(t, s, func(ctx context.Context, tx storage.Tx) error {
			p, err := tx.GetManagedPolicy(ctx, Acct, "ReadAll")
			n = p.PermissionsBoundaryUsageCount
			return err
		})
		return n
	}
	before := boundaryUses()
	for _, b := range []string{awsARN, arn} {
		must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
			r, err := tx.GetRole(ctx, Acct, "r1")
			if err != nil {
				return err
			}
			r.PermissionsBoundaryARN = b
			return tx.UpdateRole(ctx, "r1", r)
		}))
		view(t, s, func(ctx context.Context, tx storage.Tx) error {
			r, err := tx.GetRole(ctx, Acct, "r1")
			if err == nil && r.PermissionsBoundaryARN != b {
				t.Fatalf("r1 boundary %q, want %q", r.PermissionsBoundaryARN, b)
			}
			return err
		})
		if got := boundaryUses(); b == awsARN && got != before-1 {
			t.Fatalf("ReadAll boundary uses after moving r1's away: %d, want %d", got, before-1)
		}
	}
	if got := boundaryUses(); got != before {
		t.Fatalf("ReadAll boundary uses after moving r1's back: %d, want %d", got, before)
	}
	// Detach, delete owners, delete the policy: counts follow.
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.DetachPolicy(ctx, Acct, storage.OwnerUser, "u2", arn); err != nil {
			return err
		}
		if err := tx.DeleteUser(ctx, Acct, "u1"); err != nil {
			return err
		}
		r, _ := tx.GetRole(ctx, Acct, "r1")
		r.PermissionsBoundaryARN = ""
		return tx.UpdateRole(ctx, "r1", r)
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.DetachPolicy(ctx, Acct, storage.OwnerUser, "u2", arn)
	}), storage.ErrNotFound)
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		p, err := tx.GetManagedPolicy(ctx, Acct, "ReadAll")
		must(t, err)
		if p.AttachmentCount != 2 || p.PermissionsBoundaryUsageCount != 0 {
			t.Fatalf("policy counts: %+v", p)
		}
		return nil
	})
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteManagedPolicy(ctx, Acct, "readall") }))
	if c := counts(t, s, Acct); c.Policies != 0 || c.PolicyVersionsInUse != 0 {
		t.Fatalf("counts after delete: %+v", c)
	}
}

func testInlinePolicies(t *testing.T, s storage.Store) {
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateUser(ctx, user(Acct, "bob", 1)); err != nil {
			return err
		}
		for _, n := range []string{"S3", "ec2", "Iam"} {
			if err := tx.PutInlinePolicy(ctx, &storage.InlinePolicy{AccountID: Acct, OwnerKind: storage.OwnerUser, OwnerName: "bob", Name: n, Document: n + "-doc"}); err != nil {
				return err
			}
		}
		// Put replaces (case-insensitively).
		return tx.PutInlinePolicy(ctx, &storage.InlinePolicy{AccountID: Acct, OwnerKind: storage.OwnerUser, OwnerName: "BOB", Name: "s3", Document: "new"})
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.PutInlinePolicy(ctx, &storage.InlinePolicy{AccountID: Acct, OwnerKind: storage.OwnerRole, OwnerName: "bob", Name: "x", Document: "x"})
	}), storage.ErrNotFound)
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		p, err := tx.GetInlinePolicy(ctx, Acct, storage.OwnerUser, "Bob", "S3")
		must(t, err)
		if p.Document != "new" || p.Name != "s3" || p.OwnerName != "bob" {
			t.Fatalf("inline: %+v", p)
		}
		ps, err := tx.ListInlinePolicies(ctx, Acct, storage.OwnerUser, "bob", storage.ListOptions{})
		must(t, err)
		eq(t, "inline", names(ps, func(p *storage.InlinePolicy) string { return p.Name }), []string{"ec2", "Iam", "s3"})
		ps, err = tx.ListInlinePolicies(ctx, Acct, storage.OwnerUser, "bob", storage.ListOptions{After: "ec2", Limit: 1})
		must(t, err)
		eq(t, "inline page", names(ps, func(p *storage.InlinePolicy) string { return p.Name }), []string{"Iam"})
		_, err = tx.GetInlinePolicy(ctx, Acct, storage.OwnerGroup, "bob", "S3")
		wantErr(t, err, storage.ErrNotFound)
		return nil
	})
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.DeleteInlinePolicy(ctx, Acct, storage.OwnerUser, "bob", "EC2")
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.DeleteInlinePolicy(ctx, Acct, storage.OwnerUser, "bob", "EC2")
	}),
		storage.ErrNotFound)
	// Deleting the owner deletes its inline policies: recreate and find none.
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.DeleteUser(ctx, Acct, "bob"); err != nil {
			return err
		}
		return tx.CreateUser(ctx, user(Acct, "bob", 2))
	}))
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		ps, err := tx.ListInlinePolicies(ctx, Acct, storage.OwnerUser, "bob", storage.ListOptions{})
		must(t, err)
		if len(ps) != 0 {
			t.Fatalf("inline policies survived their user: %v", ps)
		}
		return nil
	})
}

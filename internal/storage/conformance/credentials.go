package conformance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/storage"
)

func testAccessKeys(t *testing.T, s storage.Store) {
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateUser(ctx, user(Acct, "bob", 1)); err != nil {
			return err
		}
		for i, k := range []*storage.AccessKey{
			{ID: "AKIAROOT000000000001", AccountID: Acct},
			{ID: "AKIABOB0000000000002", AccountID: Acct, UserName: "Bob"},
			{ID: "AKIABOB0000000000001", AccountID: Acct, UserName: "bob"},
		} {
			k.SecretSealed, k.Status, k.CreatedAt = []byte{0, 1, 2, byte(i)}, storage.StatusActive, t0
			if err := tx.CreateAccessKey(ctx, k); err != nil {
				return err
			}
		}
		return nil
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateAccessKey(ctx, &storage.AccessKey{ID: "AKIAROOT000000000001", AccountID: Acct2})
	}), storage.ErrAlreadyExists)
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateAccessKey(ctx, &storage.AccessKey{ID: "AKIANEW", AccountID: Acct, UserName: "nobody"})
	}), storage.ErrNotFound)
	if c := counts(t, s, Acct); c.RootAccessKeys != 1 {
		t.Fatalf("RootAccessKeys = %d", c.RootAccessKeys)
	}
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		k, err := tx.GetAccessKey(ctx, "AKIABOB0000000000001")
		if err != nil {
			return err
		}
		k.Status = storage.StatusInactive
		k.LastUsed = storage.AccessKeyLastUsed{Date: t0.Add(time.Second), Service: "iam", Region: "us-east-1"}
		if err := tx.UpdateAccessKey(ctx, k); err != nil {
			return err
		}
		// Renaming the user keeps its keys.
		u, _ := tx.GetUser(ctx, Acct, "bob")
		u.Name = "robert"
		return tx.UpdateUser(ctx, "bob", u)
	}))
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		k, err := tx.GetAccessKey(ctx, "AKIABOB0000000000001")
		must(t, err)
		if k.AccountID != Acct || k.UserName != "robert" || k.Status != storage.StatusInactive || k.LastUsed.Service != "iam" ||
			!k.LastUsed.Date.Equal(t0.Add(time.Second)) || !slices.Equal(k.SecretSealed, []byte{0, 1, 2, 2}) {
			t.Fatalf("key: %+v", k)
		}
		root, err := tx.GetAccessKey(ctx, "AKIAROOT000000000001")
		must(t, err)
		if root.UserName != "" {
			t.Fatalf("root key user %q", root.UserName)
		}
		ks, err := tx.ListAccessKeys(ctx, Acct, "ROBERT")
		must(t, err)
		eq(t, "keys", names(ks, func(k *storage.AccessKey) string { return k.ID }), []string{"AKIABOB0000000000001", "AKIABOB0000000000002"})
		ks, err = tx.ListAccessKeys(ctx, Acct, "")
		must(t, err)
		eq(t, "root keys", names(ks, func(k *storage.AccessKey) string { return k.ID }), []string{"AKIAROOT000000000001"})
		_, err = tx.GetAccessKey(ctx, "AKIANOPE")
		wantErr(t, err, storage.ErrNotFound)
		return nil
	})
	// Deleting the user deletes its keys; deleting the root key clears the counter.
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.DeleteUser(ctx, Acct, "robert"); err != nil {
			return err
		}
		return tx.DeleteAccessKey(ctx, "AKIAROOT000000000001")
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteAccessKey(ctx, "AKIAROOT000000000001") }),
		storage.ErrNotFound)
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		_, err := tx.GetAccessKey(ctx, "AKIABOB0000000000001")
		wantErr(t, err, storage.ErrNotFound)
		return nil
	})
	if c := counts(t, s, Acct); c.RootAccessKeys != 0 {
		t.Fatalf("RootAccessKeys = %d", c.RootAccessKeys)
	}
}

func testLoginProfiles(t *testing.T, s storage.Store) {
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateUser(ctx, user(Acct, "bob", 1)); err != nil {
			return err
		}
		return tx.CreateLoginProfile(ctx, &storage.LoginProfile{AccountID: Acct, UserName: "BOB", PasswordHash: []byte("h"), CreatedAt: t0, PasswordResetRequired: true})
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateLoginProfile(ctx, &storage.LoginProfile{AccountID: Acct, UserName: "bob"})
	}), storage.ErrAlreadyExists)
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateLoginProfile(ctx, &storage.LoginProfile{AccountID: Acct, UserName: "nobody"})
	}), storage.ErrNotFound)
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		p, err := tx.GetLoginProfile(ctx, Acct, "bob")
		if err != nil {
			return err
		}
		p.PasswordResetRequired, p.PasswordHash = false, []byte("h2")
		return tx.UpdateLoginProfile(ctx, p)
	}))
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		p, err := tx.GetLoginProfile(ctx, Acct, "Bob")
		must(t, err)
		if p.UserName != "bob" || p.PasswordResetRequired || string(p.PasswordHash) != "h2" || !p.CreatedAt.Equal(t0) {
			t.Fatalf("login profile: %+v", p)
		}
		return nil
	})
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteLoginProfile(ctx, Acct, "bob") }))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteLoginProfile(ctx, Acct, "bob") }),
		storage.ErrNotFound)
}

func testMFADevices(t *testing.T, s storage.Store) {
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateUser(ctx, user(Acct, "bob", 1)); err != nil {
			return err
		}
		for _, d := range []*storage.MFADevice{
			{Name: "bob-phone", UserName: "bob", EnableDate: t0},
			{Name: "spare"},
			{Name: "root-key", Root: true, EnableDate: t0},
		} {
			d.AccountID, d.Path, d.SeedSealed, d.CreatedAt = Acct, "/", []byte("seed"), t0
			if err := tx.CreateMFADevice(ctx, d); err != nil {
				return err
			}
		}
		return nil
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateMFADevice(ctx, &storage.MFADevice{AccountID: Acct, Name: "SPARE", Path: "/"})
	}), storage.ErrAlreadyExists)
	if c := counts(t, s, Acct); c.MFADevices != 3 || c.MFADevicesInUse != 2 || c.RootMFADevices != 1 {
		t.Fatalf("MFA counts: %+v", c)
	}
	yes, no := true, false
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, tc := range []struct {
			f    storage.MFAFilter
			want []string
		}{
			{storage.MFAFilter{}, []string{"bob-phone", "root-key", "spare"}},
			{storage.MFAFilter{UserName: "BOB"}, []string{"bob-phone"}},
			{storage.MFAFilter{Root: true}, []string{"root-key"}},
			{storage.MFAFilter{Assigned: &yes}, []string{"bob-phone", "root-key"}},
			{storage.MFAFilter{Assigned: &no}, []string{"spare"}},
		} {
			ds, err := tx.ListMFADevices(ctx, Acct, tc.f, storage.ListOptions{})
			must(t, err)
			eq(t, fmt.Sprintf("MFA %+v", tc.f), names(ds, func(d *storage.MFADevice) string { return d.Name }), tc.want)
		}
		d, err := tx.GetMFADevice(ctx, Acct, "BOB-PHONE")
		must(t, err)
		if d.UserName != "bob" || string(d.SeedSealed) != "seed" || !d.EnableDate.Equal(t0) {
			t.Fatalf("device: %+v", d)
		}
		return nil
	})
	// Assign the spare, then delete bob: his device becomes unassigned but stays.
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		d, err := tx.GetMFADevice(ctx, Acct, "spare")
		if err != nil {
			return err
		}
		d.UserName = "bob"
		return tx.UpdateMFADevice(ctx, d)
	}))
	if c := counts(t, s, Acct); c.MFADevicesInUse != 3 {
		t.Fatalf("MFADevicesInUse = %d", c.MFADevicesInUse)
	}
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteUser(ctx, Acct, "bob") }))
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		d, err := tx.GetMFADevice(ctx, Acct, "bob-phone")
		must(t, err)
		if d.Assigned() {
			t.Fatalf("device of deleted user still assigned: %+v", d)
		}
		return nil
	})
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteMFADevice(ctx, Acct, "root-key") }))
	if c := counts(t, s, Acct); c.MFADevices != 2 || c.MFADevicesInUse != 0 || c.RootMFADevices != 0 {
		t.Fatalf("MFA counts: %+v", c)
	}
}

func testResourcesAndCredentials(t *testing.T, s storage.Store) {
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		for i, r := range []*storage.Resource{
			{Kind: storage.ResourceOIDCProvider, Name: "token.actions.githubusercontent.com"},
			{Kind: storage.ResourceSAMLProvider, Name: "Okta"},
			{Kind: storage.ResourceServerCertificate, Name: "web-cert"},
		} {
			r.AccountID, r.Path, r.ID, r.CreatedAt, r.Data = Acct, "/", fmt.Sprintf("ID%d", i), t0, []byte(`{"x":1}`)
			if err := tx.CreateResource(ctx, r); err != nil {
				return err
			}
		}
		if err := tx.CreateUser(ctx, user(Acct, "bob", 1)); err != nil {
			return err
		}
		for _, c := range []*storage.Credential{
			{ID: "ASCA1", Kind: storage.CredentialSigningCertificate},
			{ID: "ASCA2", Kind: storage.CredentialSigningCertificate, UserName: "bob"},
			{ID: "APKA1", Kind: storage.CredentialSSHPublicKey, UserName: "bob"},
		} {
			c.AccountID, c.Status, c.CreatedAt, c.Data = Acct, storage.StatusActive, t0, []byte(`"body"`)
			if err := tx.CreateCredential(ctx, c); err != nil {
				return err
			}
		}
		return nil
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateResource(ctx, &storage.Resource{AccountID: Acct, Kind: storage.ResourceSAMLProvider, Name: "OKTA", Path: "/", ID: "X"})
	}), storage.ErrAlreadyExists)
	if err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.CreateResource(ctx, &storage.Resource{AccountID: Acct, Kind: "user", Name: "sneaky", Path: "/", ID: "X"})
	}); err == nil {
		t.Fatal("a resource of kind user was accepted")
	}
	c := counts(t, s, Acct)
	if c.Providers != 2 || c.ServerCertificates != 1 || c.RootSigningCertificates != 1 {
		t.Fatalf("counts: %+v", c)
	}
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		r, err := tx.GetResource(ctx, Acct, storage.ResourceSAMLProvider, "okta")
		must(t, err)
		if r.Name != "Okta" || string(r.Data) != `{"x":1}` {
			t.Fatalf("resource: %+v", r)
		}
		r, err = tx.GetResourceByID(ctx, storage.ResourceServerCertificate, "ID2")
		must(t, err)
		if r.Name != "web-cert" {
			t.Fatalf("by ID: %+v", r)
		}
		rs, err := tx.ListResources(ctx, Acct, storage.ResourceOIDCProvider, storage.ListOptions{})
		must(t, err)
		if len(rs) != 1 {
			t.Fatalf("OIDC providers: %d", len(rs))
		}
		cs, err := tx.ListCredentials(ctx, Acct, storage.CredentialSigningCertificate, "bob")
		must(t, err)
		eq(t, "bob certs", names(cs, func(c *storage.Credential) string { return c.ID }), []string{"ASCA2"})
		cr, err := tx.GetCredential(ctx, storage.CredentialSSHPublicKey, "APKA1")
		must(t, err)
		if cr.UserName != "bob" || string(cr.Data) != `"body"` {
			t.Fatalf("credential: %+v", cr)
		}
		return nil
	})
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		cr, _ := tx.GetCredential(ctx, storage.CredentialSSHPublicKey, "APKA1")
		cr.Status = storage.StatusInactive
		if err := tx.UpdateCredential(ctx, cr); err != nil {
			return err
		}
		r, _ := tx.GetResource(ctx, Acct, storage.ResourceSAMLProvider, "okta")
		r.Data = []byte(`{"x":2}`)
		if err := tx.UpdateResource(ctx, "okta", r); err != nil {
			return err
		}
		if err := tx.DeleteCredential(ctx, storage.CredentialSigningCertificate, "ASCA1"); err != nil {
			return err
		}
		return tx.DeleteResource(ctx, Acct, storage.ResourceOIDCProvider, "token.actions.githubusercontent.com")
	}))
	c = counts(t, s, Acct)
	if c.Providers != 1 || c.RootSigningCertificates != 0 {
		t.Fatalf("counts: %+v", c)
	}
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		cr, err := tx.GetCredential(ctx, storage.CredentialSSHPublicKey, "APKA1")
		must(t, err)
		if cr.Status != storage.StatusInactive {
			t.Fatalf("credential not updated: %+v", cr)
		}
		r, err := tx.GetResource(ctx, Acct, storage.ResourceSAMLProvider, "okta")
		must(t, err)
		if string(r.Data) != `{"x":2}` {
			t.Fatalf("resource not updated: %s", r.Data)
		}
		_, err = tx.GetCredential(ctx, storage.CredentialSigningCertificate, "ASCA1")
		wantErr(t, err, storage.ErrNotFound)
		return nil
	})
}

func testKeyRing(t *testing.T, s storage.Store) {
	var ring *storage.KeyRing
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		ring, err = tx.GetKeyRing(ctx)
		return err
	})
	if ring.Generation != 0 || len(ring.Keys) != 0 {
		t.Fatalf("initial ring: %+v", ring)
	}
	k1 := storage.TokenKey{ID: 1, Sealed: []byte("k1"), CreatedAt: t0, NotAfter: t0.Add(time.Hour), RetireAfter: t0.Add(48 * time.Hour)}
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.PutKeyRing(ctx, 0, []storage.TokenKey{k1}) }))
	// A second writer that also saw generation 0 loses.
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.PutKeyRing(ctx, 0, nil) }), storage.ErrConflict)
	k2 := storage.TokenKey{ID: 2, Sealed: []byte("k2"), CreatedAt: t0.Add(time.Hour)}
	must(t, update(t, s, func(ctx context.Context, tx storage.Tx) error {
		return tx.PutKeyRing(ctx, 1, []storage.TokenKey{k1, k2})
	}))
	wantErr(t, update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.PutKeyRing(ctx, 1, nil) }), storage.ErrConflict)
	view(t, s, func(ctx context.Context, tx storage.Tx) error {
		r, err := tx.GetKeyRing(ctx)
		must(t, err)
		if r.Generation != 2 || len(r.Keys) != 2 || r.Keys[1].ID != 2 || string(r.Keys[0].Sealed) != "k1" ||
			!r.Keys[0].RetireAfter.Equal(k1.RetireAfter) {
			t.Fatalf("ring: %+v", r)
		}
		return nil
	})
	// Concurrent rotations from the same generation: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := update(t, s, func(ctx context.Context, tx storage.Tx) error {
				return tx.PutKeyRing(ctx, 2, []storage.TokenKey{{ID: uint32(10 + i)}})
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, storage.ErrConflict):
				conflicts++
			default:
				t.Errorf("rotation: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || conflicts != 7 {
		t.Fatalf("wins %d conflicts %d, want 1 and 7", wins, conflicts)
	}
}

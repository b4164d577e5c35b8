package auth

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/sigv4"
	"github.com/iamd/iamd/internal/storage"
	"github.com/iamd/iamd/internal/storage/cache"
	"github.com/iamd/iamd/internal/token"
)

// sessionOf seals a session of kind issued to the principal name/id.
func (e *env) sessionOf(t testing.TB, kind token.Kind, name, id string) (key, secret, tok string) {
	t.Helper()
	key, err := ids.NewAccessKeyID(ids.PrefixTemporaryAccessKey, testAccount)
	if err != nil {
		t.Fatal(err)
	}
	secret = ids.NewSecretAccessKey()
	now := e.clock.now()
	c := &token.Claims{Version: 2, AccessKeyID: key, SecretAccessKey: secret, AccountID: testAccount, Partition: "aws",
		Kind: kind, Issuer: "test", PrincipalName: name, PrincipalID: id, PrincipalPath: "/", IssuedAt: now, Expiration: now.Add(time.Hour)}
	if kind != token.KindUserSession {
		c.SessionName = "s"
	}
	if tok, err = e.ring.Seal(c); err != nil {
		t.Fatal(err)
	}
	return key, secret, tok
}

// TestSessionOfDeletedPrincipal: a session stops working once the user or role it was issued to is
// deleted, and stays refused when a namesake is created (a new unique ID); root sessions are unaffected.
func TestSessionOfDeletedPrincipal(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	update := func(fn func(tx storage.Tx) error) {
		t.Helper()
		if err := e.store.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	const oldUser, oldRole, newUser, newRole = "AIDAOLD0000000000001", "AROAOLD0000000000001", "AIDANEW0000000000001", "AROANEW0000000000001"
	update(func(tx storage.Tx) error {
		if err := tx.CreateUser(ctx, &storage.User{AccountID: testAccount, Name: "carol", Path: "/", ID: oldUser, CreatedAt: t0}); err != nil {
			return err
		}
		return tx.CreateRole(ctx, &storage.Role{AccountID: testAccount, Name: "ReadOnly", Path: "/", ID: oldRole, CreatedAt: t0})
	})
	type sess struct{ what, key, secret, tok string }
	var sessions []sess
	for _, s := range []struct {
		what string
		kind token.Kind
		name string
		id   string
	}{
		{"user session", token.KindUserSession, "carol", oldUser},
		{"federated user", token.KindFederatedUser, "carol", oldUser},
		{"role session", token.KindAssumedRole, "readonly", oldRole},
	} {
		k, sec, tok := e.sessionOf(t, s.kind, s.name, s.id)
		sessions = append(sessions, sess{s.what, k, sec, tok})
	}
	rk, rs, rt := e.session(t, 2, time.Hour)
	try := func(s sess) error {
		_, err := e.authenticate(e.request(t, s.key, s.secret, s.tok, "us-east-1"), "us-east-1")
		return err
	}
	for _, s := range sessions {
		if err := try(s); err != nil {
			t.Fatalf("%s while its principal exists: %v", s.what, err)
		}
	}
	if s := e.store.(*cache.Store).Sizes(); s.UserIDs != 1 || s.RoleIDs != 1 {
		t.Fatalf("the cache holds %+v, want the user's and the role's IDs", s)
	}
	// A session naming a principal that is there under another ID (a forged or stale claim) is refused.
	k, sec, tok := e.sessionOf(t, token.KindAssumedRole, "ReadOnly", oldUser)
	wantCode(t, "role session naming a user's ID", try(sess{"", k, sec, tok}), sigv4.CodeInvalidClientTokenID, http.StatusForbidden, "")

	update(func(tx storage.Tx) error {
		if err := tx.DeleteUser(ctx, testAccount, "carol"); err != nil {
			return err
		}
		return tx.DeleteRole(ctx, testAccount, "readonly")
	})
	for _, s := range sessions {
		wantCode(t, s.what+" after delete", try(s), sigv4.CodeInvalidClientTokenID, http.StatusForbidden,
			"The security token included in the request is invalid.")
	}
	update(func(tx storage.Tx) error {
		if err := tx.CreateUser(ctx, &storage.User{AccountID: testAccount, Name: "carol", Path: "/", ID: newUser, CreatedAt: t0}); err != nil {
			return err
		}
		return tx.CreateRole(ctx, &storage.Role{AccountID: testAccount, Name: "ReadOnly", Path: "/", ID: newRole, CreatedAt: t0})
	})
	for _, s := range sessions {
		wantCode(t, s.what+" after a namesake was created", try(s), sigv4.CodeInvalidClientTokenID, http.StatusForbidden, "")
	}
	if _, err := e.authenticate(e.request(t, rk, rs, rt, "us-east-1"), "us-east-1"); err != nil {
		t.Fatalf("root session: %v", err)
	}
	// Sessions of the namesakes work.
	for _, s := range []struct {
		kind     token.Kind
		name, id string
	}{{token.KindUserSession, "carol", newUser}, {token.KindAssumedRole, "ReadOnly", newRole}} {
		k, sec, tok := e.sessionOf(t, s.kind, s.name, s.id)
		if err := try(sess{"", k, sec, tok}); err != nil {
			t.Fatalf("session of the new %s: %v", s.name, err)
		}
	}
}

// TestKeyBoundToUserID: a long-term key whose user was deleted, with a namesake created since, does not
// authenticate as the namesake.
func TestKeyBoundToUserID(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	keyID, err := ids.NewAccessKeyID(ids.PrefixAccessKey, testAccount)
	if err != nil {
		t.Fatal(err)
	}
	secret := ids.NewSecretAccessKey()
	err = e.store.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateUser(ctx, &storage.User{AccountID: testAccount, Name: "dave", Path: "/", ID: "AIDADAVE000000000001", CreatedAt: t0}); err != nil {
			return err
		}
		return tx.CreateAccessKey(ctx, &storage.AccessKey{ID: keyID, AccountID: testAccount, UserName: "dave",
			SecretSealed: []byte(secret), Status: storage.StatusActive, CreatedAt: t0})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.authenticate(e.request(t, keyID, secret, "", "us-east-1"), "us-east-1"); err != nil {
		t.Fatal(err)
	}
	err = e.store.Update(ctx, func(tx storage.Tx) error {
		if err := tx.DeleteUser(ctx, testAccount, "dave"); err != nil { // deletes the key with the user
			return err
		}
		return tx.CreateUser(ctx, &storage.User{AccountID: testAccount, Name: "dave", Path: "/", ID: "AIDADAVE000000000002", CreatedAt: t0})
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.authenticate(e.request(t, keyID, secret, "", "us-east-1"), "us-east-1")
	wantCode(t, "deleted user's key", err, sigv4.CodeInvalidClientTokenID, http.StatusForbidden, "")
}

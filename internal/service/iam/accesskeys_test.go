package iam

import (
	"context"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/storage"
)

func TestAccessKeys(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	createUser(t, f, ctx, "Keyholder", "")
	k1 := must(f.svc.CreateAccessKey(ctx, &iamapi.CreateAccessKeyRequest{UserName: ptr("keyholder")}))(t).AccessKey
	id := str(k1.AccessKeyId)
	if len(id) != 20 || id[:4] != "AKIA" || len(str(k1.SecretAccessKey)) != 40 || str(k1.Status) != "Active" || str(k1.UserName) != "Keyholder" {
		t.Fatalf("CreateAccessKey = %+v", k1)
	}
	if acct, err := ids.AccountFromAccessKeyID(id); err != nil || acct != testAccount {
		t.Errorf("key %s encodes account %q (%v)", id, acct, err)
	}
	// The secret is stored sealed, bound to its key ID, and opens to what the client received.
	var stored *storage.AccessKey
	err := f.store.View(context.Background(), func(tx storage.Tx) error {
		var err error
		stored, err = tx.GetAccessKey(context.Background(), id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(stored.SecretSealed) == str(k1.SecretAccessKey) {
		t.Fatal("secret stored in clear")
	}
	plain, err := OpenAccessKeySecret(f.seal, stored)
	if err != nil || plain != str(k1.SecretAccessKey) {
		t.Fatalf("sealed secret opens to %q, %v", plain, err)
	}
	moved := *stored
	moved.ID = "AKIAOTHEROTHEROTHER1"
	if _, err := OpenAccessKeySecret(f.seal, &moved); err == nil {
		t.Error("sealed secret opened as another key's")
	}

	f.now = f.now.Add(time.Minute)
	k2 := must(f.svc.CreateAccessKey(ctx, &iamapi.CreateAccessKeyRequest{UserName: ptr("Keyholder")}))(t).AccessKey
	_, err = f.svc.CreateAccessKey(ctx, &iamapi.CreateAccessKeyRequest{UserName: ptr("Keyholder")})
	assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2")
	_, err = f.svc.CreateAccessKey(ctx, &iamapi.CreateAccessKeyRequest{UserName: ptr("ghost")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name ghost cannot be found.")

	list := must(f.svc.ListAccessKeys(ctx, &iamapi.ListAccessKeysRequest{UserName: ptr("Keyholder"), MaxItems: ptr(int32(1))}))(t)
	if len(list.AccessKeyMetadata) != 1 || str(list.AccessKeyMetadata[0].AccessKeyId) != id || !*list.IsTruncated {
		t.Fatalf("ListAccessKeys page 1: %+v", list)
	}
	list = must(f.svc.ListAccessKeys(ctx, &iamapi.ListAccessKeysRequest{UserName: ptr("Keyholder"), Marker: list.Marker}))(t)
	if len(list.AccessKeyMetadata) != 1 || str(list.AccessKeyMetadata[0].AccessKeyId) != str(k2.AccessKeyId) || *list.IsTruncated {
		t.Fatalf("ListAccessKeys page 2: %+v", list)
	}

	must(f.svc.UpdateAccessKey(ctx, &iamapi.UpdateAccessKeyRequest{UserName: ptr("Keyholder"), AccessKeyId: ptr(id), Status: ptr("Inactive")}))(t)
	all := must(f.svc.ListAccessKeys(ctx, &iamapi.ListAccessKeysRequest{UserName: ptr("Keyholder")}))(t).AccessKeyMetadata
	if str(all[0].Status) != "Inactive" || str(all[1].Status) != "Active" {
		t.Errorf("statuses after update: %+v", all)
	}

	// A key addressed through the wrong user, or from another account, "cannot be found".
	createUser(t, f, ctx, "other", "")
	_, err = f.svc.UpdateAccessKey(ctx, &iamapi.UpdateAccessKeyRequest{UserName: ptr("other"), AccessKeyId: ptr(id), Status: ptr("Active")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The Access Key with id "+id+" cannot be found.")
	_, err = f.svc.DeleteAccessKey(rootOf(otherTestAccount), &iamapi.DeleteAccessKeyRequest{AccessKeyId: ptr(id)})
	assertAPIError(t, err, "NoSuchEntity", 404, "The Access Key with id "+id+" cannot be found.")
	_, err = f.svc.GetAccessKeyLastUsed(rootOf(otherTestAccount), &iamapi.GetAccessKeyLastUsedRequest{AccessKeyId: ptr(id)})
	assertAPIError(t, err, "NoSuchEntity", 404, "The Access Key with id "+id+" cannot be found.")
	_, err = f.svc.DeleteAccessKey(ctx, &iamapi.DeleteAccessKeyRequest{UserName: ptr("Keyholder"), AccessKeyId: ptr("AKIAAAAAAAAAAAAAAAAA")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.")

	must(f.svc.DeleteAccessKey(ctx, &iamapi.DeleteAccessKeyRequest{UserName: ptr("Keyholder"), AccessKeyId: ptr(id)}))(t)
	left := must(f.svc.ListAccessKeys(ctx, &iamapi.ListAccessKeysRequest{UserName: ptr("Keyholder")}))(t).AccessKeyMetadata
	if len(left) != 1 {
		t.Errorf("%d keys left", len(left))
	}
	_, err = f.svc.ListAccessKeys(ctx, &iamapi.ListAccessKeysRequest{UserName: ptr("ghost")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name ghost cannot be found.")
}

func TestAccessKeysOfCaller(t *testing.T) {
	f := newFixture(t)
	// Root without a user name manages root's own keys.
	rk := must(f.svc.CreateAccessKey(f.root(), &iamapi.CreateAccessKeyRequest{}))(t).AccessKey
	if rk.UserName != nil {
		t.Errorf("root key has UserName %q", str(rk.UserName))
	}
	keys := must(f.svc.ListAccessKeys(f.root(), &iamapi.ListAccessKeysRequest{}))(t).AccessKeyMetadata
	if len(keys) != 1 || str(keys[0].AccessKeyId) != str(rk.AccessKeyId) {
		t.Errorf("root's keys: %+v", keys)
	}
	if c := must(countsOf(f))(t); c.RootAccessKeys != 1 {
		t.Errorf("RootAccessKeys counter = %d", c.RootAccessKeys)
	}
	// A user without a user name manages their own keys.
	createUser(t, f, f.root(), "self", "")
	uk := must(f.svc.CreateAccessKey(f.asUser("self"), &iamapi.CreateAccessKeyRequest{}))(t).AccessKey
	if str(uk.UserName) != "self" {
		t.Errorf("user key owner %q", str(uk.UserName))
	}
	// Root's key is not the user's.
	_, err := f.svc.DeleteAccessKey(f.asUser("self"), &iamapi.DeleteAccessKeyRequest{AccessKeyId: rk.AccessKeyId})
	assertAPIError(t, err, "NoSuchEntity", 404, "The Access Key with id "+str(rk.AccessKeyId)+" cannot be found.")
	_, err = f.svc.CreateAccessKey(f.asRole(), &iamapi.CreateAccessKeyRequest{})
	assertAPIError(t, err, "ValidationError", 400, "Must specify userName when calling with non-User credentials")
	must(f.svc.DeleteAccessKey(f.root(), &iamapi.DeleteAccessKeyRequest{AccessKeyId: rk.AccessKeyId}))(t)
	if c := must(countsOf(f))(t); c.RootAccessKeys != 0 {
		t.Errorf("RootAccessKeys counter = %d after delete", c.RootAccessKeys)
	}
}

// TestAccessKeyQuotaConcurrent checks that the quota holds when many creations race: the count and the
// insert are one transaction.
func TestAccessKeyQuotaConcurrent(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	createUser(t, f, ctx, "racer", "")
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := f.svc.CreateAccessKey(ctx, &iamapi.CreateAccessKeyRequest{UserName: ptr("racer")})
			errs <- err
		}()
	}
	ok, limited := 0, 0
	for range n {
		err := <-errs
		if err == nil {
			ok++
			continue
		}
		assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2")
		limited++
	}
	keys := must(f.svc.ListAccessKeys(ctx, &iamapi.ListAccessKeysRequest{UserName: ptr("racer")}))(t).AccessKeyMetadata
	if ok != maxAccessKeysPerUser || limited != n-maxAccessKeysPerUser || len(keys) != maxAccessKeysPerUser {
		t.Fatalf("%d created, %d refused, %d stored", ok, limited, len(keys))
	}
}

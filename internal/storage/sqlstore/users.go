package sqlstore

import (
	"context"
	"fmt"

	"github.com/iamd/iamd/internal/storage"
)

func (t *txn) CreateUser(ctx context.Context, u *storage.User) error {
	if err := t.createEntity(ctx, kindUser, u.AccountID, u.Name, u.Path, u.ID, u); err != nil {
		return err
	}
	return t.addBoundary(ctx, u.AccountID, kindUser, u.Name, u.PermissionsBoundaryARN)
}

func (t *txn) GetUser(ctx context.Context, acct, name string) (*storage.User, error) {
	u, err := getEntity[storage.User](ctx, t, kindUser, acct, name)
	if err == nil {
		t.readBoundary(kindUser, u.AccountID, u.Name, u.PermissionsBoundaryARN)
	}
	return u, err
}

func (t *txn) GetUserByID(ctx context.Context, id string) (*storage.User, error) {
	u, err := getEntityByID[storage.User](ctx, t, kindUser, id)
	if err == nil {
		t.readBoundary(kindUser, u.AccountID, u.Name, u.PermissionsBoundaryARN)
	}
	return u, err
}

func (t *txn) UpdateUser(ctx context.Context, name string, u *storage.User) error {
	same := t.boundaryUnchanged(kindUser, u.AccountID, name, u.Name, u.PermissionsBoundaryARN)
	if err := t.updateEntity(ctx, kindUser, u.AccountID, name, u.Name, u.Path, u.ID, u); err != nil {
		return err
	}
	if storage.Fold(name) != storage.Fold(u.Name) {
		// Cached access keys carry the user's name (their principal ARN).
		if err := t.keysChanged(ctx, u.AccountID, u.Name); err != nil {
			return err
		}
	}
	return t.updateBoundary(ctx, same, u.AccountID, kindUser, u.Name, u.PermissionsBoundaryARN)
}

func (t *txn) DeleteUser(ctx context.Context, acct, name string) error {
	if err := t.keysChanged(ctx, acct, name); err != nil {
		return err
	}
	// MFA devices outlive their user (they become unassigned), as in IAM.
	n, err := t.exec(ctx, `UPDATE mfa_devices SET user_kind = NULL, user_key = NULL WHERE account_id = $1 AND user_key = $2`,
		acct, storage.Fold(name))
	if err != nil {
		return err
	}
	if err := t.bump(ctx, acct, cMFADevicesInUse, -n); err != nil {
		return err
	}
	return t.deleteEntity(ctx, kindUser, acct, name)
}

// keysChanged records a change for every access key and credential of a user.
func (t *txn) keysChanged(ctx context.Context, acct, user string) error {
	rows, err := t.query(ctx, `SELECT 'k', id FROM access_keys WHERE account_id = $1 AND user_key = $2
		UNION ALL SELECT 'c', id FROM credentials WHERE account_id = $1 AND user_key = $2`, acct, storage.Fold(user))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k, id string
		if err := rows.Scan(&k, &id); err != nil {
			return fmt.Errorf("storage: scan: %w", err)
		}
		if k == "k" {
			t.changed(storage.ChangeAccessKey, acct, id)
		} else {
			t.changed(storage.ChangeCredential, acct, id)
		}
	}
	return rows.Err()
}

func (t *txn) ListUsers(ctx context.Context, acct string, opts storage.ListOptions) ([]*storage.User, error) {
	return listEntities[storage.User](ctx, t, kindUser, acct, opts)
}

// setBoundary sets or removes an owner's permissions boundary in one statement (one boundary per owner:
// the primary key is the owner).

// userDependentsQuery answers UserDependents with one row (none when the user does not exist). Each
// EXISTS is an index probe: every table has an index leading with (account_id, [kind,] user or owner key).
const userDependentsQuery = `SELECT
	EXISTS (SELECT 1 FROM login_profiles WHERE account_id = $1 AND user_key = $2),
	EXISTS (SELECT 1 FROM access_keys WHERE account_id = $1 AND user_key = $2),
	EXISTS (SELECT 1 FROM credentials WHERE account_id = $1 AND kind = $3 AND user_key = $2),
	EXISTS (SELECT 1 FROM credentials WHERE account_id = $1 AND kind = $4 AND user_key = $2),
	EXISTS (SELECT 1 FROM credentials WHERE account_id = $1 AND kind = $5 AND user_key = $2),
	EXISTS (SELECT 1 FROM mfa_devices WHERE account_id = $1 AND user_key = $2),
	EXISTS (SELECT 1 FROM members WHERE account_id = $1 AND user_key = $2),
	EXISTS (SELECT 1 FROM inline_policies WHERE account_id = $1 AND owner_kind = 'user' AND owner_key = $2),
	EXISTS (SELECT 1 FROM attachments WHERE account_id = $1 AND owner_kind = 'user' AND owner_key = $2)
	FROM entities WHERE account_id = $1 AND kind = 'user' AND fkey = $2`

func (t *txn) UserDependents(ctx context.Context, acct, name string) (storage.UserDependents, error) {
	var d storage.UserDependents
	err := t.row(ctx, userDependentsQuery, acct, storage.Fold(name),
		string(storage.CredentialSigningCertificate), string(storage.CredentialSSHPublicKey), string(storage.CredentialServiceSpecific)).
		Scan(&d.LoginProfile, &d.AccessKeys, &d.SigningCertificates, &d.SSHPublicKeys, &d.ServiceSpecificCredentials,
			&d.MFADevices, &d.Groups, &d.InlinePolicies, &d.AttachedPolicies)
	if err != nil {
		return storage.UserDependents{}, scanErr(err, kindUser, name)
	}
	return d, nil
}

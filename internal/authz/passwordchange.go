package authz

import (
	"context"
	"errors"

	"github.com/iamd/iamd/internal/policy"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/storage"
)

// selfPasswordActions are what an account password policy's AllowUsersToChangePassword grants every IAM
// user of the account, lower-cased as policy.Evaluate compares actions. AWS: the option "gives IAM users
// permissions to iam:ChangePassword for only their user and to the iam:GetAccountPasswordPolicy action";
// it attaches no policy to anyone, IAM applies the permission at the account level ("Permitting IAM users
// to change their own passwords").
var selfPasswordActions = map[string]bool{"iam:changepassword": true, "iam:getaccountpasswordpolicy": true}

// selfPasswordPolicy is that grant as an identity-based policy, worded as the managed policy
// IAMUserChangePassword: ChangePassword on the caller's own user only, GetAccountPasswordPolicy. Being an
// identity policy of the user's, an explicit Deny, a permissions boundary or a session policy still
// restricts it as they restrict every other grant.
var selfPasswordPolicy = func() policy.Attached {
	p, err := policy.Parse(`{"Version":"2012-10-17","Statement":[`+
		`{"Effect":"Allow","Action":"iam:ChangePassword","Resource":["arn:*:iam::*:user/${aws:username}","arn:*:iam::*:user/*/${aws:username}"]},`+
		`{"Effect":"Allow","Action":"iam:GetAccountPasswordPolicy","Resource":"*"}]}`, policy.KindIdentity)
	if err != nil {
		panic(err)
	}
	return policy.Attached{Policy: p, ID: "AllowUsersToChangePassword", Source: policy.SourceNone}
}()

// withAccountGrants returns set with the grants of the caller's account settings for action added: an
// IAM user may change its own password when the account's password policy allows users to. set is not
// modified (it may be the cached one); it is returned as is when nothing applies.
func (a *Authorizer) withAccountGrants(ctx context.Context, c *reqctx.Caller, action string, set *policy.Set) (*policy.Set, error) {
	if c.Kind != reqctx.CallerUser || !selfPasswordActions[action] {
		return set, nil
	}
	var allow bool
	err := a.o.Store.View(ctx, func(tx storage.Tx) error {
		acct, err := tx.GetAccount(ctx, c.AccountID)
		if err != nil {
			return err
		}
		allow = acct.PasswordPolicy != nil && acct.PasswordPolicy.AllowUsersToChangePassword
		return nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return set, nil
	}
	if err != nil || !allow {
		return set, err
	}
	own := *set
	own.Identity = append(append(make([]policy.Attached, 0, len(set.Identity)+1), set.Identity...), selfPasswordPolicy)
	return &own, nil
}

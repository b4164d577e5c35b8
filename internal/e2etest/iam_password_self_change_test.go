package e2etest

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// The account password policy's AllowUsersToChangePassword lets every IAM user change its own password
// and read the password policy without any policy of its own, as AWS grants it ("Permitting IAM users to
// change their own passwords"); it grants nothing more (another user's password), an explicit Deny still
// wins, and without the setting the user is refused.
func TestAllowUsersToChangePasswordGrantsOwnPasswordChange(t *testing.T) {
	ctx := context.Background()
	s := Start(t, Options{})
	root := s.IAM(RootCreds())
	pat := s.IAM(newUser(t, s, RootCreds(), "pat"))
	newUser(t, s, RootCreds(), "kim")
	for _, u := range []string{"pat", "kim"} {
		_, err := root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String(u), Password: aws.String("Right-Pass-123")})
		ok(t, "CreateLoginProfile", err)
	}
	change := func(old, new string) error {
		_, err := pat.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String(old), NewPassword: aws.String(new)})
		return err
	}
	// Without a password policy allowing it, the user has no permission.
	_, err := root.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(8)})
	ok(t, "UpdateAccountPasswordPolicy", err)
	if got := errorOf(t, change("Right-Pass-123", "New-Pass-4567")); got.Code != "AccessDenied" || !strings.Contains(got.Message, "iam:ChangePassword") {
		t.Fatalf("ChangePassword without AllowUsersToChangePassword: %v", err)
	}
	_, err = pat.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	if got := errorOf(t, err); got.Code != "AccessDenied" {
		t.Fatalf("GetAccountPasswordPolicy without AllowUsersToChangePassword: %v", err)
	}

	_, err = root.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(8),
		AllowUsersToChangePassword: true})
	ok(t, "UpdateAccountPasswordPolicy", err)
	ok(t, "ChangePassword with AllowUsersToChangePassword", change("Right-Pass-123", "New-Pass-4567"))
	got, err := pat.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	ok(t, "GetAccountPasswordPolicy", err)
	if !got.PasswordPolicy.AllowUsersToChangePassword {
		t.Fatal("the policy read back does not allow users to change their password")
	}
	// Only the own password: managing another user's login profile is not granted.
	_, err = pat.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("kim"), Password: aws.String("Taken-Over-99")})
	if got := errorOf(t, err); got.Code != "AccessDenied" {
		t.Fatalf("UpdateLoginProfile of another user: %v", err)
	}
	// The account-level grant is an allow like any other: an explicit Deny wins over it.
	_, err = root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("pat"), PolicyName: aws.String("no-change"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:ChangePassword","Resource":"*"}]}`)})
	ok(t, "PutUserPolicy", err)
	if got := errorOf(t, change("New-Pass-4567", "Newer-Pass-890")); got.Code != "AccessDenied" || !strings.Contains(got.Message, "explicit deny") {
		t.Fatalf("ChangePassword under an explicit Deny: %v", err)
	}
}

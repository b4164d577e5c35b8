package e2etest

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Login profiles, ChangePassword and the account password policy through the SDK; the policy is enforced
// with PasswordPolicyViolation.
func TestIAMPasswords(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	const acct = AccountID

	wantError(t, "GetAccountPasswordPolicy none", call(c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})),
		"NoSuchEntity", 404, "The Password Policy with domain name "+acct+" cannot be found.")
	wantError(t, "DeleteAccountPasswordPolicy none", call(c.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{})),
		"NoSuchEntity", 404, "The account policy with name PasswordPolicy cannot be found.")

	must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("pat")}))
	// Without a policy, AWS's default applies: 8 characters, three of four character classes.
	wantError(t, "default policy, short", call(c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("pat"), Password: aws.String("Ab1!")})),
		"PasswordPolicyViolation", 400, "Password should have a minimum length of 8")
	wantError(t, "default policy, two classes", call(c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("pat"), Password: aws.String("abcdefgh12")})),
		"PasswordPolicyViolation", 400, "Password should include at least three of the following character types: uppercase letters, lowercase letters, numbers, and symbols")

	lp := must[*iam.CreateLoginProfileOutput](t, "CreateLoginProfile")(c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{
		UserName: aws.String("PAT"), Password: aws.String("Initial-Pass1"), PasswordResetRequired: true})).LoginProfile
	if aws.ToString(lp.UserName) != "pat" || !lp.PasswordResetRequired {
		t.Fatalf("CreateLoginProfile: %+v", lp)
	}
	checkRecent(t, "CreateLoginProfile", lp.CreateDate)
	g := must[*iam.GetLoginProfileOutput](t, "GetLoginProfile")(c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("pat")})).LoginProfile
	if !g.CreateDate.Equal(*lp.CreateDate) || !g.PasswordResetRequired {
		t.Fatalf("GetLoginProfile: %+v", g)
	}
	must[*iam.UpdateLoginProfileOutput](t, "UpdateLoginProfile")(c.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("pat"), PasswordResetRequired: aws.Bool(false)}))
	if g := must[*iam.GetLoginProfileOutput](t, "GetLoginProfile")(c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("pat")})).LoginProfile; g.PasswordResetRequired {
		t.Fatalf("PasswordResetRequired still set: %+v", g)
	}

	// A policy replaces the default; parameters left out take their defaults.
	must[*iam.UpdateAccountPasswordPolicyOutput](t, "UpdateAccountPasswordPolicy")(c.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{
		MinimumPasswordLength: aws.Int32(12), RequireSymbols: true, RequireNumbers: true, RequireUppercaseCharacters: true,
		RequireLowercaseCharacters: true, AllowUsersToChangePassword: true, MaxPasswordAge: aws.Int32(90), PasswordReusePrevention: aws.Int32(3)}))
	pp := must[*iam.GetAccountPasswordPolicyOutput](t, "GetAccountPasswordPolicy")(c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})).PasswordPolicy
	if aws.ToInt32(pp.MinimumPasswordLength) != 12 || !pp.RequireSymbols || !pp.RequireNumbers || !pp.RequireUppercaseCharacters ||
		!pp.RequireLowercaseCharacters || !pp.AllowUsersToChangePassword || !pp.ExpirePasswords || aws.ToInt32(pp.MaxPasswordAge) != 90 ||
		aws.ToInt32(pp.PasswordReusePrevention) != 3 || aws.ToBool(pp.HardExpiry) {
		t.Fatalf("GetAccountPasswordPolicy: %+v", pp)
	}
	for _, c2 := range []struct{ pw, msg string }{
		{"Sh0rt!", "Password should have a minimum length of 12"},
		{"alllowercase1!", "Password should have at least one uppercase letter"},
		{"ALLUPPERCASE1!", "Password should have at least one lowercase letter"},
		{"NoNumbersHere!", "Password should have at least one number"},
		{"NoSymbolsHere12", "Password should have at least one symbol"},
	} {
		wantError(t, "UpdateLoginProfile "+c2.pw, call(c.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("pat"), Password: aws.String(c2.pw)})),
			"PasswordPolicyViolation", 400, c2.msg)
	}
	must[*iam.UpdateLoginProfileOutput](t, "UpdateLoginProfile password")(c.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("pat"), Password: aws.String("Long-enough-Pass1")}))

	// ChangePassword: the user's own credentials, the old password, and the policy on the new one.
	k := must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey")(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("pat")})).AccessKey
	self := e.s.IAM(Creds(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), ""))
	allow(t, e.s, RootCreds(), "pat", "iam:ChangePassword", arn("user/pat"))
	wantError(t, "ChangePassword wrong old", call(self.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("wrong-Password1"), NewPassword: aws.String("Another-Pass-2")})),
		"AccessDenied", 403, "The old password is incorrect.")
	wantError(t, "ChangePassword weak new", call(self.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("Long-enough-Pass1"), NewPassword: aws.String("weak")})),
		"PasswordPolicyViolation", 400, "Password should have a minimum length of 12")
	must[*iam.ChangePasswordOutput](t, "ChangePassword")(self.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("Long-enough-Pass1"), NewPassword: aws.String("Another-Pass-2")}))
	// The new password is now the old one.
	wantError(t, "ChangePassword with the replaced password", call(self.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("Long-enough-Pass1"), NewPassword: aws.String("Third-Pass-333")})),
		"AccessDenied", 403, "The old password is incorrect.")
	wantError(t, "ChangePassword as root", call(c.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("x"), NewPassword: aws.String("y")})),
		"InvalidUserType", 400, "Only IAM Users can change their own password.")

	must[*iam.CreateUserOutput](t, "CreateUser nolp")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("nolp")}))
	runErrCases(t, []errCase{
		{"create twice", func() error {
			return call(c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("pat"), Password: aws.String("Yet-Another-Pass1")}))
		}, "EntityAlreadyExists", 409, "Login Profile for user pat already exists."},
		{"create for missing user", func() error {
			return call(c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("ghost"), Password: aws.String("Yet-Another-Pass1")}))
		}, "NoSuchEntity", 404, "The user with name ghost cannot be found."},
		{"get missing profile", func() error {
			return call(c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("nolp")}))
		},
			"NoSuchEntity", 404, "Login Profile for User nolp cannot be found."},
		{"get for missing user", func() error {
			return call(c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("ghost")}))
		},
			"NoSuchEntity", 404, "The user with name ghost cannot be found."},
		{"update missing profile", func() error {
			return call(c.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("nolp"), PasswordResetRequired: aws.Bool(true)}))
		}, "NoSuchEntity", 404, "Login Profile for User nolp cannot be found."},
		{"delete missing profile", func() error {
			return call(c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("nolp")}))
		},
			"NoSuchEntity", 404, "Login Profile for User nolp cannot be found."},
		{"password not latin-1", func() error {
			return call(c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("nolp"), Password: aws.String("Pass-word-1\u20ac\u20ac")}))
		}, "ValidationError", 400, `1 validation error detected: Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`},
		{"policy length too small", func() error {
			return call(c.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(5)}))
		}, "ValidationError", 400, validation("5", "minimumPasswordLength", "Member must have value greater than or equal to 6")},
		{"policy reuse too large", func() error {
			return call(c.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{PasswordReusePrevention: aws.Int32(25)}))
		}, "ValidationError", 400, validation("25", "passwordReusePrevention", "Member must have value less than or equal to 24")},
	})

	// Deleting the policy brings back the default rules; a second delete finds nothing.
	must[*iam.DeleteAccountPasswordPolicyOutput](t, "DeleteAccountPasswordPolicy")(c.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{}))
	wantError(t, "GetAccountPasswordPolicy deleted", call(c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})),
		"NoSuchEntity", 404, "The Password Policy with domain name "+acct+" cannot be found.")
	must[*iam.UpdateLoginProfileOutput](t, "UpdateLoginProfile short allowed again")(c.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("pat"), Password: aws.String("Ab1!efgh")}))
	// A policy set without a minimum length reports AWS's 6.
	must[*iam.UpdateAccountPasswordPolicyOutput](t, "UpdateAccountPasswordPolicy empty")(c.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{}))
	pp = must[*iam.GetAccountPasswordPolicyOutput](t, "GetAccountPasswordPolicy")(c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})).PasswordPolicy
	if aws.ToInt32(pp.MinimumPasswordLength) != 6 || pp.RequireSymbols || pp.ExpirePasswords || pp.MaxPasswordAge != nil {
		t.Fatalf("empty policy: %+v", pp)
	}
	must[*iam.DeleteLoginProfileOutput](t, "DeleteLoginProfile")(c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("pat")}))
	wantError(t, "GetLoginProfile deleted", call(c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("pat")})),
		"NoSuchEntity", 404, "Login Profile for User pat cannot be found.")
}

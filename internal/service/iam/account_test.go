package iam

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/storage"
)

func TestLoginProfiles(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	createUser(t, f, ctx, "Pat", "")
	// Without an account policy AWS's default applies.
	_, err := f.svc.CreateLoginProfile(ctx, &iamapi.CreateLoginProfileRequest{UserName: ptr("pat"), Password: ptr("abc")})
	assertAPIError(t, err, "PasswordPolicyViolation", 400, "Password should have a minimum length of 8")
	_, err = f.svc.CreateLoginProfile(ctx, &iamapi.CreateLoginProfileRequest{UserName: ptr("ghost"), Password: ptr("Good-Pass-1")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The user with name ghost cannot be found.")
	lp := must(f.svc.CreateLoginProfile(ctx, &iamapi.CreateLoginProfileRequest{UserName: ptr("pat"), Password: ptr("Good-Pass-1"), PasswordResetRequired: ptr(true)}))(t).LoginProfile
	if str(lp.UserName) != "Pat" || !*lp.PasswordResetRequired || !lp.CreateDate.Equal(f.now) {
		t.Errorf("CreateLoginProfile = %+v", lp)
	}
	_, err = f.svc.CreateLoginProfile(ctx, &iamapi.CreateLoginProfileRequest{UserName: ptr("Pat"), Password: ptr("Good-Pass-1")})
	assertAPIError(t, err, "EntityAlreadyExists", 409, "Login Profile for user Pat already exists.")

	// The password is stored hashed.
	var stored *storage.LoginProfile
	err = f.store.View(context.Background(), func(tx storage.Tx) error {
		var err error
		stored, err = tx.GetLoginProfile(context.Background(), testAccount, "Pat")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(stored.PasswordHash), "Good-Pass-1") || !f.svc.hasher.Verify(string(stored.PasswordHash), "Good-Pass-1") {
		t.Fatalf("stored hash %q", stored.PasswordHash)
	}

	got := must(f.svc.GetLoginProfile(ctx, &iamapi.GetLoginProfileRequest{UserName: ptr("pat")}))(t).LoginProfile
	if str(got.UserName) != "Pat" || !*got.PasswordResetRequired {
		t.Errorf("GetLoginProfile = %+v", got)
	}
	// A user asks for their own profile without naming themselves.
	must(f.svc.GetLoginProfile(f.asUser("Pat"), &iamapi.GetLoginProfileRequest{}))(t)

	must(f.svc.UpdateAccountPasswordPolicy(ctx, &iamapi.UpdateAccountPasswordPolicyRequest{MinimumPasswordLength: ptr(int32(14)), RequireSymbols: ptr(true)}))(t)
	_, err = f.svc.UpdateLoginProfile(ctx, &iamapi.UpdateLoginProfileRequest{UserName: ptr("pat"), Password: ptr("Good-Pass-1")})
	assertAPIError(t, err, "PasswordPolicyViolation", 400, "Password should have a minimum length of 14")
	_, err = f.svc.UpdateLoginProfile(ctx, &iamapi.UpdateLoginProfileRequest{UserName: ptr("pat"), Password: ptr("longbutnosymbols")})
	assertAPIError(t, err, "PasswordPolicyViolation", 400, "Password should have at least one symbol")
	must(f.svc.UpdateLoginProfile(ctx, &iamapi.UpdateLoginProfileRequest{UserName: ptr("pat"), Password: ptr("long-with-symbol!"), PasswordResetRequired: ptr(false)}))(t)
	if got := must(f.svc.GetLoginProfile(ctx, &iamapi.GetLoginProfileRequest{UserName: ptr("pat")}))(t).LoginProfile; *got.PasswordResetRequired {
		t.Error("reset flag not cleared")
	}

	// ChangePassword: the caller's own, old password checked, new one against the policy.
	_, err = f.svc.ChangePassword(f.asUser("Pat"), &iamapi.ChangePasswordRequest{OldPassword: ptr("wrong"), NewPassword: ptr("another-long-one!")})
	assertAPIError(t, err, "AccessDenied", 403, "The old password is incorrect.")
	_, err = f.svc.ChangePassword(f.asUser("Pat"), &iamapi.ChangePasswordRequest{OldPassword: ptr("long-with-symbol!"), NewPassword: ptr("short")})
	assertAPIError(t, err, "PasswordPolicyViolation", 400, "Password should have a minimum length of 14")
	must(f.svc.ChangePassword(f.asUser("Pat"), &iamapi.ChangePasswordRequest{OldPassword: ptr("long-with-symbol!"), NewPassword: ptr("another-long-one!")}))(t)
	_, err = f.svc.ChangePassword(f.asUser("Pat"), &iamapi.ChangePasswordRequest{OldPassword: ptr("long-with-symbol!"), NewPassword: ptr("yet-another-one!!")})
	assertAPIError(t, err, "AccessDenied", 403, "The old password is incorrect.")
	_, err = f.svc.ChangePassword(ctx, &iamapi.ChangePasswordRequest{OldPassword: ptr("x"), NewPassword: ptr("y")})
	assertAPIError(t, err, "InvalidUserType", 400, "Only IAM Users can change their own password.")
	createUser(t, f, ctx, "nopass", "")
	_, err = f.svc.ChangePassword(f.asUser("nopass"), &iamapi.ChangePasswordRequest{OldPassword: ptr("x"), NewPassword: ptr("y")})
	assertAPIError(t, err, "NoSuchEntity", 404, "Login Profile for User nopass cannot be found.")

	must(f.svc.DeleteLoginProfile(ctx, &iamapi.DeleteLoginProfileRequest{UserName: ptr("pat")}))(t)
	_, err = f.svc.GetLoginProfile(ctx, &iamapi.GetLoginProfileRequest{UserName: ptr("pat")})
	assertAPIError(t, err, "NoSuchEntity", 404, "Login Profile for User Pat cannot be found.")
	_, err = f.svc.DeleteLoginProfile(ctx, &iamapi.DeleteLoginProfileRequest{UserName: ptr("pat")})
	assertAPIError(t, err, "NoSuchEntity", 404, "Login Profile for User Pat cannot be found.")
	_, err = f.svc.UpdateLoginProfile(ctx, &iamapi.UpdateLoginProfileRequest{UserName: ptr("pat"), PasswordResetRequired: ptr(true)})
	assertAPIError(t, err, "NoSuchEntity", 404, "Login Profile for User Pat cannot be found.")
	_, err = f.svc.GetLoginProfile(f.asRole(), &iamapi.GetLoginProfileRequest{})
	assertAPIError(t, err, "ValidationError", 400, "Must specify userName when calling with non-User credentials")
}

func TestPasswordPolicy(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	_, err := f.svc.GetAccountPasswordPolicy(ctx, &iamapi.GetAccountPasswordPolicyInput{})
	assertAPIError(t, err, "NoSuchEntity", 404, "The Password Policy with domain name 123456789012 cannot be found.")
	_, err = f.svc.DeleteAccountPasswordPolicy(ctx, &iamapi.DeleteAccountPasswordPolicyInput{})
	assertAPIError(t, err, "NoSuchEntity", 404, "The account policy with name PasswordPolicy cannot be found.")

	must(f.svc.UpdateAccountPasswordPolicy(ctx, &iamapi.UpdateAccountPasswordPolicyRequest{
		MinimumPasswordLength: ptr(int32(10)), RequireNumbers: ptr(true), MaxPasswordAge: ptr(int32(30)),
		PasswordReusePrevention: ptr(int32(3)), AllowUsersToChangePassword: ptr(true)}))(t)
	p := must(f.svc.GetAccountPasswordPolicy(ctx, &iamapi.GetAccountPasswordPolicyInput{}))(t).PasswordPolicy
	if *p.MinimumPasswordLength != 10 || !*p.RequireNumbers || *p.RequireSymbols || !*p.ExpirePasswords ||
		*p.MaxPasswordAge != 30 || *p.PasswordReusePrevention != 3 || !*p.AllowUsersToChangePassword || *p.HardExpiry {
		t.Errorf("policy %+v", p)
	}
	// Parameters left out fall back to their defaults.
	must(f.svc.UpdateAccountPasswordPolicy(ctx, &iamapi.UpdateAccountPasswordPolicyRequest{RequireSymbols: ptr(true)}))(t)
	p = must(f.svc.GetAccountPasswordPolicy(ctx, &iamapi.GetAccountPasswordPolicyInput{}))(t).PasswordPolicy
	if *p.MinimumPasswordLength != 6 || *p.RequireNumbers || !*p.RequireSymbols || *p.ExpirePasswords || p.MaxPasswordAge != nil || p.PasswordReusePrevention != nil {
		t.Errorf("policy after partial update %+v", p)
	}
	// Policies are per account.
	_, err = f.svc.GetAccountPasswordPolicy(rootOf(otherTestAccount), &iamapi.GetAccountPasswordPolicyInput{})
	assertAPIError(t, err, "NoSuchEntity", 404, "The Password Policy with domain name 210987654321 cannot be found.")
	must(f.svc.DeleteAccountPasswordPolicy(ctx, &iamapi.DeleteAccountPasswordPolicyInput{}))(t)
	_, err = f.svc.GetAccountPasswordPolicy(ctx, &iamapi.GetAccountPasswordPolicyInput{})
	assertAPIError(t, err, "NoSuchEntity", 404, "The Password Policy with domain name 123456789012 cannot be found.")
}

func TestAccountAliases(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	if out := must(f.svc.ListAccountAliases(ctx, &iamapi.ListAccountAliasesRequest{}))(t); len(out.AccountAliases) != 0 || out.AccountAliases == nil || *out.IsTruncated {
		t.Errorf("fresh aliases %+v", out)
	}
	must(f.svc.CreateAccountAlias(ctx, &iamapi.CreateAccountAliasRequest{AccountAlias: ptr("acme-prod")}))(t)
	must(f.svc.CreateAccountAlias(ctx, &iamapi.CreateAccountAliasRequest{AccountAlias: ptr("acme-prod")}))(t) // idempotent
	_, err := f.svc.CreateAccountAlias(rootOf(otherTestAccount), &iamapi.CreateAccountAliasRequest{AccountAlias: ptr("acme-prod")})
	assertAPIError(t, err, "EntityAlreadyExists", 409, "The account alias acme-prod already exists.")
	// A new alias replaces the old one.
	must(f.svc.CreateAccountAlias(ctx, &iamapi.CreateAccountAliasRequest{AccountAlias: ptr("acme-main")}))(t)
	if got := must(f.svc.ListAccountAliases(ctx, &iamapi.ListAccountAliasesRequest{}))(t).AccountAliases; len(got) != 1 || got[0] != "acme-main" {
		t.Errorf("aliases %v", got)
	}
	// The old alias is free again.
	must(f.svc.CreateAccountAlias(rootOf(otherTestAccount), &iamapi.CreateAccountAliasRequest{AccountAlias: ptr("acme-prod")}))(t)
	_, err = f.svc.DeleteAccountAlias(ctx, &iamapi.DeleteAccountAliasRequest{AccountAlias: ptr("acme-prod")})
	assertAPIError(t, err, "NoSuchEntity", 404, "The account alias acme-prod cannot be found.")
	must(f.svc.DeleteAccountAlias(ctx, &iamapi.DeleteAccountAliasRequest{AccountAlias: ptr("acme-main")}))(t)
	if got := must(f.svc.ListAccountAliases(ctx, &iamapi.ListAccountAliasesRequest{}))(t).AccountAliases; len(got) != 0 {
		t.Errorf("aliases after delete %v", got)
	}
}

func TestCredentialReport(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	_, err := f.svc.GetCredentialReport(ctx, &iamapi.GetCredentialReportInput{})
	assertAPIError(t, err, "ReportNotPresent", 410, "Credential report not present. Use GenerateCredentialReport to generate a report.")

	createUser(t, f, ctx, "zed", "/p/")
	createUser(t, f, ctx, "amy", "")
	must(f.svc.CreateLoginProfile(ctx, &iamapi.CreateLoginProfileRequest{UserName: ptr("amy"), Password: ptr("Amy-Pass-123")}))(t)
	k := must(f.svc.CreateAccessKey(ctx, &iamapi.CreateAccessKeyRequest{UserName: ptr("amy")}))(t).AccessKey
	if err := f.svc.RecordAccessKeyUse(context.Background(), str(k.AccessKeyId), "sts", "us-west-2", f.now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	must(f.svc.CreateAccessKey(ctx, &iamapi.CreateAccessKeyRequest{}))(t)
	must(f.svc.UpdateAccountPasswordPolicy(ctx, &iamapi.UpdateAccountPasswordPolicyRequest{MaxPasswordAge: ptr(int32(10))}))(t)

	gen := must(f.svc.GenerateCredentialReport(ctx, &iamapi.GenerateCredentialReportInput{}))(t)
	if str(gen.State) != "STARTED" || str(gen.Description) != "No report exists. Starting a new report generation task" {
		t.Errorf("first generate %+v", gen)
	}
	if gen := must(f.svc.GenerateCredentialReport(ctx, &iamapi.GenerateCredentialReportInput{}))(t); str(gen.State) != "COMPLETE" {
		t.Errorf("second generate %+v", gen)
	}
	rep := must(f.svc.GetCredentialReport(ctx, &iamapi.GetCredentialReportInput{}))(t)
	if str(rep.ReportFormat) != "text/csv" || !rep.GeneratedTime.Equal(f.now) {
		t.Errorf("report meta %v %v", str(rep.ReportFormat), rep.GeneratedTime)
	}
	recs, err := csv.NewReader(strings.NewReader(string(rep.Content))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 {
		t.Fatalf("%d rows:\n%s", len(recs), rep.Content)
	}
	idx := map[string]int{}
	for i, h := range recs[0] {
		idx[h] = i
	}
	root, amy, zed := recs[1], recs[2], recs[3]
	if root[0] != "<root_account>" || root[1] != "arn:aws:iam::123456789012:root" || root[idx["access_key_1_active"]] != "true" ||
		root[idx["user_creation_time"]] != "2026-02-02T04:05:06+00:00" {
		t.Errorf("root row %v", root)
	}
	if amy[0] != "amy" || amy[idx["password_enabled"]] != "true" || amy[idx["password_next_rotation"]] != "2026-02-13T04:05:06+00:00" ||
		amy[idx["access_key_1_last_used_service"]] != "sts" || amy[idx["access_key_1_last_used_region"]] != "us-west-2" ||
		amy[idx["access_key_1_last_used_date"]] != "2026-02-03T04:06:06+00:00" || amy[idx["access_key_2_active"]] != "false" {
		t.Errorf("amy row %v", amy)
	}
	if zed[0] != "zed" || zed[1] != "arn:aws:iam::123456789012:user/p/zed" || zed[idx["password_enabled"]] != "false" || zed[idx["access_key_1_last_rotated"]] != "N/A" {
		t.Errorf("zed row %v", zed)
	}
	// Reports are per account.
	_, err = f.svc.GetCredentialReport(rootOf(otherTestAccount), &iamapi.GetCredentialReportInput{})
	assertAPIError(t, err, "ReportNotPresent", 410, "Credential report not present. Use GenerateCredentialReport to generate a report.")

	// After four hours the report expires and Generate makes a new one.
	f.now = f.now.Add(reportMaxAge)
	_, err = f.svc.GetCredentialReport(ctx, &iamapi.GetCredentialReportInput{})
	assertAPIError(t, err, "ReportExpired", 410, "Credential report has expired. Use GenerateCredentialReport to generate a new report.")
	if gen := must(f.svc.GenerateCredentialReport(ctx, &iamapi.GenerateCredentialReportInput{}))(t); str(gen.State) != "STARTED" {
		t.Errorf("generate after expiry %+v", gen)
	}
	if rep := must(f.svc.GetCredentialReport(ctx, &iamapi.GetCredentialReportInput{}))(t); !rep.GeneratedTime.Equal(f.now) {
		t.Errorf("regenerated at %v", rep.GeneratedTime)
	}
}

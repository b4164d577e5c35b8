package e2etest

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Access keys through the SDK: creation, authentication at once, last use, deactivation and deletion
// taking effect on the next request, the per-user quota and every error path.
func TestIAMAccessKeys(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("kate")}))
	must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("other")}))

	k1 := must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey")(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("KATE")})).AccessKey
	id1 := aws.ToString(k1.AccessKeyId)
	if len(id1) != 20 || id1[:4] != "AKIA" || !reID.MatchString(id1+"A") || len(aws.ToString(k1.SecretAccessKey)) != 40 ||
		k1.Status != iamtypes.StatusTypeActive || aws.ToString(k1.UserName) != "kate" {
		t.Fatalf("CreateAccessKey: %+v", k1)
	}
	checkRecent(t, "CreateAccessKey", k1.CreateDate)
	k2 := must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey 2")(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("kate")})).AccessKey
	id2 := aws.ToString(k2.AccessKeyId)

	// ListAccessKeys: the user's keys, oldest first, never the secret.
	l := must[*iam.ListAccessKeysOutput](t, "ListAccessKeys")(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("kate")}))
	if len(l.AccessKeyMetadata) != 2 || aws.ToString(l.AccessKeyMetadata[0].AccessKeyId) != id1 || aws.ToString(l.AccessKeyMetadata[1].AccessKeyId) != id2 ||
		aws.ToString(l.AccessKeyMetadata[0].UserName) != "kate" || l.AccessKeyMetadata[0].Status != iamtypes.StatusTypeActive || l.IsTruncated {
		t.Fatalf("ListAccessKeys: %+v, want %s then %s", l.AccessKeyMetadata, id1, id2)
	}
	p1 := must[*iam.ListAccessKeysOutput](t, "ListAccessKeys page")(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("kate"), MaxItems: aws.Int32(1)}))
	p2 := must[*iam.ListAccessKeysOutput](t, "ListAccessKeys page 2")(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("kate"), Marker: p1.Marker}))
	if !p1.IsTruncated || len(p1.AccessKeyMetadata) != 1 || len(p2.AccessKeyMetadata) != 1 || p2.IsTruncated ||
		aws.ToString(p2.AccessKeyMetadata[0].AccessKeyId) != id2 {
		t.Fatalf("ListAccessKeys pages: %+v / %+v", p1, p2)
	}
	// Root without a name: root's own key, without UserName.
	rl := must[*iam.ListAccessKeysOutput](t, "ListAccessKeys root")(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}))
	if len(rl.AccessKeyMetadata) != 1 || aws.ToString(rl.AccessKeyMetadata[0].AccessKeyId) != RootKeyID {
		t.Fatalf("ListAccessKeys root: %+v", rl.AccessKeyMetadata)
	}

	// GetAccessKeyLastUsed: N/A until used, then the service and region of the last request.
	lu := must[*iam.GetAccessKeyLastUsedOutput](t, "GetAccessKeyLastUsed")(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id1)}))
	if aws.ToString(lu.UserName) != "kate" || aws.ToString(lu.AccessKeyLastUsed.ServiceName) != "N/A" ||
		aws.ToString(lu.AccessKeyLastUsed.Region) != "N/A" || lu.AccessKeyLastUsed.LastUsedDate != nil {
		t.Fatalf("GetAccessKeyLastUsed unused: %+v %+v", lu, lu.AccessKeyLastUsed)
	}
	creds1 := Creds(id1, aws.ToString(k1.SecretAccessKey), "")
	id := must[*sts.GetCallerIdentityOutput](t, "GetCallerIdentity with new key")(e.s.STS(creds1, "eu-west-1").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if aws.ToString(id.Arn) != arn("user/kate") {
		t.Fatalf("new key authenticates as %s", aws.ToString(id.Arn))
	}
	lu = must[*iam.GetAccessKeyLastUsedOutput](t, "GetAccessKeyLastUsed")(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id1)}))
	if aws.ToString(lu.AccessKeyLastUsed.ServiceName) != "sts" || aws.ToString(lu.AccessKeyLastUsed.Region) != "eu-west-1" {
		t.Fatalf("GetAccessKeyLastUsed after use: %+v", lu.AccessKeyLastUsed)
	}
	checkRecent(t, "LastUsedDate", lu.AccessKeyLastUsed.LastUsedDate)

	// Deactivating stops the key at once; reactivating restores it; deleting stops it for good.
	must[*iam.UpdateAccessKeyOutput](t, "UpdateAccessKey Inactive")(c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("kate"), AccessKeyId: aws.String(id1), Status: iamtypes.StatusTypeInactive}))
	wantError(t, "inactive key", call(e.s.STS(creds1, "us-east-1").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})),
		"InvalidClientTokenId", 403, msgInvalidToken)
	l = must[*iam.ListAccessKeysOutput](t, "ListAccessKeys")(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("kate")}))
	if l.AccessKeyMetadata[0].Status != iamtypes.StatusTypeInactive {
		t.Fatalf("status after UpdateAccessKey: %+v", l.AccessKeyMetadata[0])
	}
	must[*iam.UpdateAccessKeyOutput](t, "UpdateAccessKey Active")(c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("kate"), AccessKeyId: aws.String(id1), Status: iamtypes.StatusTypeActive}))
	must[*sts.GetCallerIdentityOutput](t, "reactivated key")(e.s.STS(creds1, "us-east-1").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	// A user managing their own keys without naming themselves.
	allow(t, e.s, RootCreds(), "kate", "iam:*AccessKey*", "*")
	self := e.s.IAM(creds1)
	own := must[*iam.ListAccessKeysOutput](t, "ListAccessKeys self")(self.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}))
	if len(own.AccessKeyMetadata) != 2 {
		t.Fatalf("ListAccessKeys self: %+v", own.AccessKeyMetadata)
	}
	must[*iam.DeleteAccessKeyOutput](t, "DeleteAccessKey self")(self.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(id2)}))
	must[*iam.DeleteAccessKeyOutput](t, "DeleteAccessKey")(c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("kate"), AccessKeyId: aws.String(id1)}))
	wantError(t, "deleted key", call(e.s.STS(creds1, "us-east-1").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})),
		"InvalidClientTokenId", 403, msgInvalidToken)

	ko := must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey other")(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("other")})).AccessKey
	must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey other 2")(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("other")}))
	otherID := aws.ToString(ko.AccessKeyId)
	const missing = "AKIAIOSFODNN7EXAMPLE"
	runErrCases(t, []errCase{
		{"create third key", func() error {
			return call(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("other")}))
		},
			"LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2"},
		{"create for missing user", func() error {
			return call(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ghost")}))
		},
			"NoSuchEntity", 404, "The user with name ghost cannot be found."},
		{"update missing key", func() error {
			return call(c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("other"), AccessKeyId: aws.String(missing), Status: iamtypes.StatusTypeInactive}))
		}, "NoSuchEntity", 404, "The Access Key with id " + missing + " cannot be found."},
		{"update another user's key", func() error {
			return call(c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("kate"), AccessKeyId: aws.String(otherID), Status: iamtypes.StatusTypeInactive}))
		}, "NoSuchEntity", 404, "The Access Key with id " + otherID + " cannot be found."},
		{"update bad status", func() error {
			return call(c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("other"), AccessKeyId: aws.String(otherID), Status: "Paused"}))
		}, "ValidationError", 400, validation("Paused", "status", "Member must satisfy enum value set: [Active, Inactive, Expired]")},
		{"update for missing user", func() error {
			return call(c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("ghost"), AccessKeyId: aws.String(otherID), Status: iamtypes.StatusTypeInactive}))
		}, "NoSuchEntity", 404, "The user with name ghost cannot be found."},
		{"delete missing key", func() error {
			return call(c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("other"), AccessKeyId: aws.String(missing)}))
		}, "NoSuchEntity", 404, "The Access Key with id " + missing + " cannot be found."},
		{"delete deleted key", func() error {
			return call(c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("kate"), AccessKeyId: aws.String(id1)}))
		}, "NoSuchEntity", 404, "The Access Key with id " + id1 + " cannot be found."},
		{"delete another user's key as root", func() error {
			return call(c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(otherID)}))
		}, "NoSuchEntity", 404, "The Access Key with id " + otherID + " cannot be found."},
		{"list for missing user", func() error {
			return call(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("ghost")}))
		},
			"NoSuchEntity", 404, "The user with name ghost cannot be found."},
		{"last used of missing key", func() error {
			return call(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(missing)}))
		}, "NoSuchEntity", 404, "The Access Key with id " + missing + " cannot be found."},
		{"key id too short", func() error {
			return call(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("AKIA")}))
		}, "ValidationError", 400, validation("AKIA", "accessKeyId", "Member must have length greater than or equal to 16")},
	})
}

package iam

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/reqctx"
)

const (
	testPolicyDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	testPolicyV2  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}]}`
	readOnlyARN   = "arn:aws:iam::aws:policy/ReadOnlyAccess"
)

// withCatalogue gives the fixture's service the embedded AWS managed policies, as the binary does.
func withCatalogue(t *testing.T, f *fixture) *fixture {
	t.Helper()
	m, err := LoadManagedPolicies()
	if err != nil {
		t.Fatal(err)
	}
	f.svc.managed = m
	return f
}

func createPolicy(t *testing.T, f *fixture, ctx context.Context, name, path string) *iamapi.Policy {
	t.Helper()
	return must(f.svc.CreatePolicy(ctx, &iamapi.CreatePolicyRequest{PolicyName: ptr(name), Path: optional(path), PolicyDocument: ptr(testPolicyDoc)}))(t).Policy
}

// decoded undoes the URL encoding of a returned document.
func decoded(t *testing.T, p *string) string {
	t.Helper()
	s, err := url.PathUnescape(str(p))
	if err != nil {
		t.Fatalf("document %q is not URL-encoded: %v", str(p), err)
	}
	return s
}

func TestManagedPolicyCatalogue(t *testing.T) {
	m, err := LoadManagedPolicies()
	if err != nil {
		t.Fatal(err)
	}
	if m.Len() != 1452 {
		t.Errorf("catalogue holds %d policies, want 1452", m.Len())
	}
	ro := m.lookupARN("aws", readOnlyARN)
	if ro == nil || ro.ID != "ANPAILL3HVNFSB6DCOWYQ" || !strings.HasPrefix(ro.Document, `{"Version":"2012-10-17","Statement":[`) {
		t.Fatalf("ReadOnlyAccess = %+v", ro)
	}
	if m.lookupARN("aws-cn", "arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole") == nil {
		t.Error("policy under a path not found in aws-cn")
	}
	if m.lookupARN("aws", "arn:aws-cn:iam::aws:policy/ReadOnlyAccess") != nil {
		t.Error("aws-cn ARN resolved in the aws partition")
	}
	if m.lookupARN("aws", "arn:aws:iam::aws:policy/readonlyaccess") != nil {
		t.Error("ARN lookup is case-insensitive; AWS ARNs are not")
	}
	for i := 1; i < len(m.list); i++ {
		if !policyNameLess(m.list[i-1].Name, m.list[i].Name) {
			t.Fatalf("catalogue not ordered at %s, %s", m.list[i-1].Name, m.list[i].Name)
		}
	}
	// Every policy the service-linked role table names exists, under /aws-service-role/ or as documented.
	for svc, ls := range linkedServices {
		p := m.byName[ls.policy]
		if p == nil {
			t.Errorf("%s: policy %s not in the catalogue", svc, ls.policy)
		}
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(`{"count":2,"policies":[]}`))
	w.Close()
	if _, err := parseAWSManagedPolicies(gz.Bytes()); err == nil {
		t.Error("a snapshot whose count disagrees was accepted")
	}
	if _, err := parseAWSManagedPolicies([]byte("not gzip")); err == nil {
		t.Error("garbage accepted")
	}
}

func TestEncodeDocumentAndSize(t *testing.T) {
	doc := "{\n  \"Action\": \"s3:*\", \"é\": \"a b/~\"\n}"
	enc := encodeDocument(doc)
	if strings.ContainsAny(enc, " \n{}\":*/") || !strings.Contains(enc, "%20") || !strings.Contains(enc, "~") {
		t.Errorf("encodeDocument = %q", enc)
	}
	if back, err := url.PathUnescape(enc); err != nil || back != doc {
		t.Errorf("round trip = %q, %v", back, err)
	}
	if n := policySize("{ \"a\" : \"b c\" }"); n != 11 {
		t.Errorf("policySize = %d, want 11 (whitespace in strings counts, outside does not)", n)
	}
}

func TestCreateGetDeletePolicy(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	p := must(f.svc.CreatePolicy(ctx, &iamapi.CreatePolicyRequest{
		PolicyName: ptr("S3Read"), Path: ptr("/team/"), PolicyDocument: ptr(testPolicyDoc), Description: ptr("read s3"),
		Tags: []iamapi.Tag{{Key: ptr("env"), Value: ptr("prod")}},
	}))(t).Policy
	arn := "arn:aws:iam::" + testAccount + ":policy/team/S3Read"
	if str(p.Arn) != arn || !strings.HasPrefix(str(p.PolicyId), "ANPA") || str(p.DefaultVersionId) != "v1" ||
		*p.AttachmentCount != 0 || !*p.IsAttachable || p.Description != nil || len(p.Tags) != 1 || !p.CreateDate.Equal(f.now) {
		t.Fatalf("CreatePolicy = %+v", p)
	}
	_, err := f.svc.CreatePolicy(ctx, &iamapi.CreatePolicyRequest{PolicyName: ptr("s3read"), PolicyDocument: ptr(testPolicyDoc)})
	assertAPIError(t, err, "EntityAlreadyExists", 409, "A policy called s3read already exists. Duplicate names are not allowed.")
	_, err = f.svc.CreatePolicy(ctx, &iamapi.CreatePolicyRequest{PolicyName: ptr("bad"), PolicyDocument: ptr(`{"Version":"2012-10-17"`)})
	assertAPIError(t, err, "MalformedPolicyDocument", 400, "Syntax errors in policy.")
	_, err = f.svc.CreatePolicy(ctx, &iamapi.CreatePolicyRequest{PolicyName: ptr("bad"), PolicyDocument: ptr(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`)})
	assertAPIError(t, err, "MalformedPolicyDocument", 400, "Policy document should not specify a principal.")
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::` + strings.Repeat("a", 6100) + `"]}]}`
	_, err = f.svc.CreatePolicy(ctx, &iamapi.CreatePolicyRequest{PolicyName: ptr("big"), PolicyDocument: ptr(big)})
	assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144")
	// Whitespace does not count: a document padded with spaces past 6144 bytes is accepted.
	padded := strings.Replace(testPolicyDoc, ",", ","+strings.Repeat(" ", 7000), 1)
	must(f.svc.CreatePolicy(ctx, &iamapi.CreatePolicyRequest{PolicyName: ptr("padded"), PolicyDocument: ptr(padded)}))(t)

	got := must(f.svc.GetPolicy(ctx, &iamapi.GetPolicyRequest{PolicyArn: ptr(arn)}))(t).Policy
	if str(got.PolicyId) != str(p.PolicyId) || str(got.Description) != "read s3" || len(got.Tags) != 1 {
		t.Errorf("GetPolicy = %+v", got)
	}
	for _, bad := range []string{
		"arn:aws:iam::" + testAccount + ":policy/S3Read",           // wrong path
		"arn:aws:iam::" + testAccount + ":policy/team/s3read",      // wrong case
		"arn:aws:iam::" + otherTestAccount + ":policy/team/S3Read", // other account
		"arn:aws:iam::aws:policy/NoSuchAWSPolicy",
	} {
		_, err = f.svc.GetPolicy(ctx, &iamapi.GetPolicyRequest{PolicyArn: ptr(bad)})
		assertAPIError(t, err, "NoSuchEntity", 404, "Policy "+bad+" was not found.")
	}
	_, err = f.svc.GetPolicy(ctx, &iamapi.GetPolicyRequest{PolicyArn: ptr("arn:aws:iam::123456789012:user/x")})
	assertAPIError(t, err, "InvalidInput", 400, "ARN arn:aws:iam::123456789012:user/x is not valid.")

	// Another account sees nothing of it.
	_, err = f.svc.GetPolicy(rootOf(otherTestAccount), &iamapi.GetPolicyRequest{PolicyArn: ptr(arn)})
	assertAPIError(t, err, "NoSuchEntity", 404, "Policy "+arn+" was not found.")

	c, err := countsOf(f)
	if err != nil || c.Policies != 2 || c.PolicyVersionsInUse != 2 {
		t.Errorf("counts after two policies: %+v %v", c, err)
	}
	must(f.svc.DeletePolicy(ctx, &iamapi.DeletePolicyRequest{PolicyArn: ptr(arn)}))(t)
	_, err = f.svc.DeletePolicy(ctx, &iamapi.DeletePolicyRequest{PolicyArn: ptr(arn)})
	assertAPIError(t, err, "NoSuchEntity", 404, "Policy "+arn+" was not found.")
	_, err = f.svc.DeletePolicy(ctx, &iamapi.DeletePolicyRequest{PolicyArn: ptr(readOnlyARN)})
	assertAPIError(t, err, "AccessDenied", 403, "User: arn:aws:iam::"+testAccount+":root is not authorized to perform: iam:DeletePolicy on resource: policy "+readOnlyARN)
}

func TestAWSManagedPolicies(t *testing.T) {
	f := withCatalogue(t, newFixture(t))
	ctx := f.root()
	p := must(f.svc.GetPolicy(ctx, &iamapi.GetPolicyRequest{PolicyArn: ptr(readOnlyARN)}))(t).Policy
	if str(p.PolicyName) != "ReadOnlyAccess" || str(p.PolicyId) != "ANPAILL3HVNFSB6DCOWYQ" || *p.AttachmentCount != 0 || !*p.IsAttachable {
		t.Fatalf("GetPolicy(ReadOnlyAccess) = %+v", p)
	}
	v := must(f.svc.GetPolicyVersion(ctx, &iamapi.GetPolicyVersionRequest{PolicyArn: ptr(readOnlyARN), VersionId: p.DefaultVersionId}))(t).PolicyVersion
	if !*v.IsDefaultVersion || !strings.Contains(decoded(t, v.Document), `"a4b:Get*"`) || strings.Contains(str(v.Document), `"`) {
		t.Errorf("GetPolicyVersion(ReadOnlyAccess) = %.200s", str(v.Document))
	}
	_, err := f.svc.GetPolicyVersion(ctx, &iamapi.GetPolicyVersionRequest{PolicyArn: ptr(readOnlyARN), VersionId: ptr("v1")})
	assertAPIError(t, err, "NoSuchEntity", 404, "Policy "+readOnlyARN+" version v1 does not exist or is not attachable.")
	vs := must(f.svc.ListPolicyVersions(ctx, &iamapi.ListPolicyVersionsRequest{PolicyArn: ptr(readOnlyARN)}))(t).Versions
	if len(vs) != 1 || str(vs[0].VersionId) != str(p.DefaultVersionId) || vs[0].Document != nil {
		t.Errorf("ListPolicyVersions(ReadOnlyAccess) = %+v", vs)
	}
	_, err = f.svc.CreatePolicyVersion(ctx, &iamapi.CreatePolicyVersionRequest{PolicyArn: ptr(readOnlyARN), PolicyDocument: ptr(testPolicyDoc)})
	assertAPIError(t, err, "AccessDenied", 403, "User: arn:aws:iam::"+testAccount+":root is not authorized to perform: iam:CreatePolicyVersion on resource: policy "+readOnlyARN)
	_, err = f.svc.TagPolicy(ctx, &iamapi.TagPolicyRequest{PolicyArn: ptr(readOnlyARN), Tags: []iamapi.Tag{{Key: ptr("a"), Value: ptr("b")}}})
	assertAPIError(t, err, "AccessDenied", 403, "User: arn:aws:iam::"+testAccount+":root is not authorized to perform: iam:TagPolicy on resource: policy "+readOnlyARN)
	tags := must(f.svc.ListPolicyTags(ctx, &iamapi.ListPolicyTagsRequest{PolicyArn: ptr(readOnlyARN)}))(t)
	if len(tags.Tags) != 0 || *tags.IsTruncated {
		t.Errorf("ListPolicyTags(ReadOnlyAccess) = %+v", tags)
	}

	// In aws-cn the same policies live under arn:aws-cn.
	cn := callerCtx(&reqctx.Caller{Kind: reqctx.CallerRoot, AccountID: testAccount, Partition: "aws-cn", ARN: "arn:aws-cn:iam::" + testAccount + ":root"})
	cnp := must(f.svc.GetPolicy(cn, &iamapi.GetPolicyRequest{PolicyArn: ptr("arn:aws-cn:iam::aws:policy/ReadOnlyAccess")}))(t).Policy
	if str(cnp.Arn) != "arn:aws-cn:iam::aws:policy/ReadOnlyAccess" {
		t.Errorf("aws-cn ARN = %s", str(cnp.Arn))
	}
	_, err = f.svc.GetPolicy(cn, &iamapi.GetPolicyRequest{PolicyArn: ptr(readOnlyARN)})
	assertAPIError(t, err, "NoSuchEntity", 404, "Policy "+readOnlyARN+" was not found.")

	// Attachment counts are per account.
	createUser(t, f, ctx, "alice", "")
	must(f.svc.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyRequest{UserName: ptr("alice"), PolicyArn: ptr(readOnlyARN)}))(t)
	p = must(f.svc.GetPolicy(ctx, &iamapi.GetPolicyRequest{PolicyArn: ptr(readOnlyARN)}))(t).Policy
	other := must(f.svc.GetPolicy(rootOf(otherTestAccount), &iamapi.GetPolicyRequest{PolicyArn: ptr(readOnlyARN)}))(t).Policy
	if *p.AttachmentCount != 1 || *other.AttachmentCount != 0 {
		t.Errorf("attachment counts: this account %d, other %d", *p.AttachmentCount, *other.AttachmentCount)
	}
}

func TestPolicyVersions(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	arn := str(createPolicy(t, f, ctx, "Versioned", "").Arn)
	v2 := must(f.svc.CreatePolicyVersion(ctx, &iamapi.CreatePolicyVersionRequest{PolicyArn: ptr(arn), PolicyDocument: ptr(testPolicyV2)}))(t).PolicyVersion
	if str(v2.VersionId) != "v2" || *v2.IsDefaultVersion || v2.Document != nil {
		t.Fatalf("CreatePolicyVersion = %+v", v2)
	}
	f.now = f.now.Add(3600e9)
	v3 := must(f.svc.CreatePolicyVersion(ctx, &iamapi.CreatePolicyVersionRequest{PolicyArn: ptr(arn), PolicyDocument: ptr(testPolicyV2), SetAsDefault: ptr(true)}))(t).PolicyVersion
	if str(v3.VersionId) != "v3" || !*v3.IsDefaultVersion {
		t.Fatalf("CreatePolicyVersion(SetAsDefault) = %+v", v3)
	}
	p := must(f.svc.GetPolicy(ctx, &iamapi.GetPolicyRequest{PolicyArn: ptr(arn)}))(t).Policy
	if str(p.DefaultVersionId) != "v3" || !p.UpdateDate.Equal(f.now) || p.CreateDate.Equal(f.now) {
		t.Errorf("policy after SetAsDefault: %+v", p)
	}
	got := must(f.svc.GetPolicyVersion(ctx, &iamapi.GetPolicyVersionRequest{PolicyArn: ptr(arn), VersionId: ptr("v1")}))(t).PolicyVersion
	if decoded(t, got.Document) != testPolicyDoc || *got.IsDefaultVersion {
		t.Errorf("GetPolicyVersion(v1) = %+v", got)
	}
	_, err := f.svc.GetPolicyVersion(ctx, &iamapi.GetPolicyVersionRequest{PolicyArn: ptr(arn), VersionId: ptr("v9")})
	assertAPIError(t, err, "NoSuchEntity", 404, "Policy "+arn+" version v9 does not exist or is not attachable.")

	must(f.svc.CreatePolicyVersion(ctx, &iamapi.CreatePolicyVersionRequest{PolicyArn: ptr(arn), PolicyDocument: ptr(testPolicyDoc)}))(t)
	must(f.svc.CreatePolicyVersion(ctx, &iamapi.CreatePolicyVersionRequest{PolicyArn: ptr(arn), PolicyDocument: ptr(testPolicyDoc)}))(t)
	_, err = f.svc.CreatePolicyVersion(ctx, &iamapi.CreatePolicyVersionRequest{PolicyArn: ptr(arn), PolicyDocument: ptr(testPolicyDoc)})
	assertAPIError(t, err, "LimitExceeded", 409, "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
	_, err = f.svc.CreatePolicyVersion(ctx, &iamapi.CreatePolicyVersionRequest{PolicyArn: ptr(arn), PolicyDocument: ptr("nope")})
	assertAPIError(t, err, "MalformedPolicyDocument", 400, "Syntax errors in policy.")

	list := must(f.svc.ListPolicyVersions(ctx, &iamapi.ListPolicyVersionsRequest{PolicyArn: ptr(arn), MaxItems: ptr(int32(3))}))(t)
	if len(list.Versions) != 3 || !*list.IsTruncated || str(list.Versions[0].VersionId) != "v5" {
		t.Fatalf("ListPolicyVersions page 1 = %+v", list)
	}
	list2 := must(f.svc.ListPolicyVersions(ctx, &iamapi.ListPolicyVersionsRequest{PolicyArn: ptr(arn), Marker: list.Marker}))(t)
	if len(list2.Versions) != 2 || *list2.IsTruncated || str(list2.Versions[1].VersionId) != "v1" {
		t.Fatalf("ListPolicyVersions page 2 = %+v", list2)
	}

	_, err = f.svc.DeletePolicyVersion(ctx, &iamapi.DeletePolicyVersionRequest{PolicyArn: ptr(arn), VersionId: ptr("v3")})
	assertAPIError(t, err, "DeleteConflict", 409, "Cannot delete the default version of a policy.")
	_, err = f.svc.DeletePolicy(ctx, &iamapi.DeletePolicyRequest{PolicyArn: ptr(arn)})
	assertAPIError(t, err, "DeleteConflict", 409, "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
	must(f.svc.SetDefaultPolicyVersion(ctx, &iamapi.SetDefaultPolicyVersionRequest{PolicyArn: ptr(arn), VersionId: ptr("v1")}))(t)
	_, err = f.svc.SetDefaultPolicyVersion(ctx, &iamapi.SetDefaultPolicyVersionRequest{PolicyArn: ptr(arn), VersionId: ptr("v7")})
	assertAPIError(t, err, "NoSuchEntity", 404, "Policy "+arn+" version v7 does not exist or is not attachable.")
	for _, v := range []string{"v2", "v3", "v4", "v5"} {
		must(f.svc.DeletePolicyVersion(ctx, &iamapi.DeletePolicyVersionRequest{PolicyArn: ptr(arn), VersionId: ptr(v)}))(t)
	}
	_, err = f.svc.DeletePolicyVersion(ctx, &iamapi.DeletePolicyVersionRequest{PolicyArn: ptr(arn), VersionId: ptr("v2")})
	assertAPIError(t, err, "NoSuchEntity", 404, "Policy "+arn+" version v2 does not exist or is not attachable.")
	// Version IDs are never reused.
	v6 := must(f.svc.CreatePolicyVersion(ctx, &iamapi.CreatePolicyVersionRequest{PolicyArn: ptr(arn), PolicyDocument: ptr(testPolicyDoc)}))(t).PolicyVersion
	if str(v6.VersionId) != "v6" {
		t.Errorf("next version after deletes = %s, want v6", str(v6.VersionId))
	}
	must(f.svc.DeletePolicyVersion(ctx, &iamapi.DeletePolicyVersionRequest{PolicyArn: ptr(arn), VersionId: ptr("v6")}))(t)
	must(f.svc.DeletePolicy(ctx, &iamapi.DeletePolicyRequest{PolicyArn: ptr(arn)}))(t)
	if c, err := countsOf(f); err != nil || c.Policies != 0 || c.PolicyVersionsInUse != 0 {
		t.Errorf("counts after delete: %+v %v", c, err)
	}
}

func TestPolicyTags(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	arn := str(createPolicy(t, f, ctx, "Tagged", "").Arn)
	must(f.svc.TagPolicy(ctx, &iamapi.TagPolicyRequest{PolicyArn: ptr(arn), Tags: []iamapi.Tag{{Key: ptr("a"), Value: ptr("1")}, {Key: ptr("b"), Value: ptr("2")}}}))(t)
	must(f.svc.TagPolicy(ctx, &iamapi.TagPolicyRequest{PolicyArn: ptr(arn), Tags: []iamapi.Tag{{Key: ptr("A"), Value: ptr("3")}}}))(t)
	must(f.svc.UntagPolicy(ctx, &iamapi.UntagPolicyRequest{PolicyArn: ptr(arn), TagKeys: []string{"b"}}))(t)
	tags := must(f.svc.ListPolicyTags(ctx, &iamapi.ListPolicyTagsRequest{PolicyArn: ptr(arn)}))(t).Tags
	if len(tags) != 1 || str(tags[0].Key) != "A" || str(tags[0].Value) != "3" {
		t.Errorf("tags = %+v", tags)
	}
	ghost := "arn:aws:iam::" + testAccount + ":policy/ghost"
	_, err := f.svc.TagPolicy(ctx, &iamapi.TagPolicyRequest{PolicyArn: ptr(ghost), Tags: []iamapi.Tag{{Key: ptr("a"), Value: ptr("1")}}})
	assertAPIError(t, err, "NoSuchEntity", 404, "Policy "+ghost+" was not found.")
	_, err = f.svc.ListPolicyTags(ctx, &iamapi.ListPolicyTagsRequest{PolicyArn: ptr(ghost)})
	assertAPIError(t, err, "NoSuchEntity", 404, "Policy "+ghost+" was not found.")
}

func TestListPolicies(t *testing.T) {
	f := withCatalogue(t, newFixture(t))
	ctx := f.root()
	for _, n := range []string{"zeta", "Alpha", "mid"} {
		createPolicy(t, f, ctx, n, "")
	}
	createPolicy(t, f, ctx, "pathed", "/ops/")
	names := func(ps []iamapi.Policy) string {
		var out []string
		for _, p := range ps {
			out = append(out, str(p.PolicyName))
		}
		return strings.Join(out, ",")
	}
	local := must(f.svc.ListPolicies(ctx, &iamapi.ListPoliciesRequest{Scope: ptr("Local")}))(t)
	if got := names(local.Policies); got != "Alpha,mid,pathed,zeta" || *local.IsTruncated {
		t.Errorf("Local = %s", got)
	}
	if local.Policies[0].Tags != nil || local.Policies[0].Description != nil {
		t.Error("ListPolicies returned tags or description")
	}
	ops := must(f.svc.ListPolicies(ctx, &iamapi.ListPoliciesRequest{Scope: ptr("Local"), PathPrefix: ptr("/ops/")}))(t)
	if got := names(ops.Policies); got != "pathed" {
		t.Errorf("Local /ops/ = %s", got)
	}
	// Walk everything in pages of 400: AWS managed first, then local, no duplicates, nothing lost.
	seen := map[string]bool{}
	total := 0
	var marker *string
	for range 10 {
		page := must(f.svc.ListPolicies(ctx, &iamapi.ListPoliciesRequest{Marker: marker, MaxItems: ptr(int32(400))}))(t)
		for _, p := range page.Policies {
			if seen[str(p.Arn)] {
				t.Fatalf("%s listed twice", str(p.Arn))
			}
			seen[str(p.Arn)] = true
			total++
		}
		if !*page.IsTruncated {
			break
		}
		marker = page.Marker
	}
	if total != 1452+4 {
		t.Errorf("Scope=All walk saw %d policies, want %d", total, 1452+4)
	}
	aws := must(f.svc.ListPolicies(ctx, &iamapi.ListPoliciesRequest{Scope: ptr("AWS"), PathPrefix: ptr("/job-function/")}))(t)
	if len(aws.Policies) != 8 {
		t.Errorf("AWS /job-function/ = %d policies", len(aws.Policies))
	}

	// OnlyAttached and the usage filter.
	createUser(t, f, ctx, "alice", "")
	must(f.svc.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyRequest{UserName: ptr("alice"), PolicyArn: ptr(readOnlyARN)}))(t)
	must(f.svc.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyRequest{UserName: ptr("alice"), PolicyArn: ptr("arn:aws:iam::" + testAccount + ":policy/mid")}))(t)
	must(f.svc.PutUserPermissionsBoundary(ctx, &iamapi.PutUserPermissionsBoundaryRequest{UserName: ptr("alice"), PermissionsBoundary: ptr("arn:aws:iam::" + testAccount + ":policy/zeta")}))(t)
	attached := must(f.svc.ListPolicies(ctx, &iamapi.ListPoliciesRequest{OnlyAttached: ptr(true)}))(t)
	if got := names(attached.Policies); got != "ReadOnlyAccess,mid,zeta" {
		t.Errorf("OnlyAttached = %s", got)
	}
	perm := must(f.svc.ListPolicies(ctx, &iamapi.ListPoliciesRequest{OnlyAttached: ptr(true), PolicyUsageFilter: ptr("PermissionsPolicy")}))(t)
	if got := names(perm.Policies); got != "ReadOnlyAccess,mid" {
		t.Errorf("OnlyAttached PermissionsPolicy = %s", got)
	}
	bound := must(f.svc.ListPolicies(ctx, &iamapi.ListPoliciesRequest{OnlyAttached: ptr(true), PolicyUsageFilter: ptr("PermissionsBoundary"), Scope: ptr("Local")}))(t)
	if got := names(bound.Policies); got != "zeta" || *bound.Policies[0].PermissionsBoundaryUsageCount != 1 {
		t.Errorf("OnlyAttached PermissionsBoundary = %s", got)
	}
	_, err := f.svc.ListPolicies(ctx, &iamapi.ListPoliciesRequest{Marker: ptr("eHl6")}) // "xyz"
	assertAPIError(t, err, "InvalidInput", 400, "Invalid Marker.")
}

func TestListEntitiesForPolicy(t *testing.T) {
	f := withCatalogue(t, newFixture(t))
	ctx := f.root()
	arn := str(createPolicy(t, f, ctx, "Shared", "").Arn)
	createUser(t, f, ctx, "bob", "/eng/")
	createUser(t, f, ctx, "alice", "/")
	must(f.svc.CreateGroup(ctx, &iamapi.CreateGroupRequest{GroupName: ptr("devs")}))(t)
	createRole(t, f, ctx, "app", "/eng/")
	createRole(t, f, ctx, "bounded", "/")
	for _, u := range []string{"bob", "alice"} {
		must(f.svc.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyRequest{UserName: ptr(u), PolicyArn: ptr(arn)}))(t)
	}
	must(f.svc.AttachGroupPolicy(ctx, &iamapi.AttachGroupPolicyRequest{GroupName: ptr("devs"), PolicyArn: ptr(arn)}))(t)
	must(f.svc.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyRequest{RoleName: ptr("app"), PolicyArn: ptr(arn)}))(t)
	must(f.svc.PutRolePermissionsBoundary(ctx, &iamapi.PutRolePermissionsBoundaryRequest{RoleName: ptr("bounded"), PermissionsBoundary: ptr(arn)}))(t)

	all := must(f.svc.ListEntitiesForPolicy(ctx, &iamapi.ListEntitiesForPolicyRequest{PolicyArn: ptr(arn)}))(t)
	if len(all.PolicyUsers) != 2 || len(all.PolicyGroups) != 1 || len(all.PolicyRoles) != 2 || *all.IsTruncated {
		t.Fatalf("all entities = %+v", all)
	}
	if str(all.PolicyUsers[0].UserName) != "alice" || !strings.HasPrefix(str(all.PolicyUsers[0].UserId), "AIDA") {
		t.Errorf("users = %+v", all.PolicyUsers)
	}
	perm := must(f.svc.ListEntitiesForPolicy(ctx, &iamapi.ListEntitiesForPolicyRequest{PolicyArn: ptr(arn), PolicyUsageFilter: ptr("PermissionsPolicy")}))(t)
	if len(perm.PolicyRoles) != 1 || str(perm.PolicyRoles[0].RoleName) != "app" {
		t.Errorf("PermissionsPolicy roles = %+v", perm.PolicyRoles)
	}
	bound := must(f.svc.ListEntitiesForPolicy(ctx, &iamapi.ListEntitiesForPolicyRequest{PolicyArn: ptr(arn), PolicyUsageFilter: ptr("PermissionsBoundary")}))(t)
	if len(bound.PolicyRoles) != 1 || str(bound.PolicyRoles[0].RoleName) != "bounded" || len(bound.PolicyUsers) != 0 {
		t.Errorf("PermissionsBoundary = %+v", bound)
	}
	eng := must(f.svc.ListEntitiesForPolicy(ctx, &iamapi.ListEntitiesForPolicyRequest{PolicyArn: ptr(arn), PathPrefix: ptr("/eng/")}))(t)
	if len(eng.PolicyUsers) != 1 || len(eng.PolicyRoles) != 1 || len(eng.PolicyGroups) != 0 {
		t.Errorf("/eng/ = %+v", eng)
	}
	users := must(f.svc.ListEntitiesForPolicy(ctx, &iamapi.ListEntitiesForPolicyRequest{PolicyArn: ptr(arn), EntityFilter: ptr("User")}))(t)
	if len(users.PolicyUsers) != 2 || len(users.PolicyRoles) != 0 || len(users.PolicyGroups) != 0 {
		t.Errorf("EntityFilter=User = %+v", users)
	}
	// Paging one at a time visits all five once.
	count := 0
	var marker *string
	for range 10 {
		page := must(f.svc.ListEntitiesForPolicy(ctx, &iamapi.ListEntitiesForPolicyRequest{PolicyArn: ptr(arn), MaxItems: ptr(int32(1)), Marker: marker}))(t)
		count += len(page.PolicyUsers) + len(page.PolicyGroups) + len(page.PolicyRoles)
		if !*page.IsTruncated {
			break
		}
		marker = page.Marker
	}
	if count != 5 {
		t.Errorf("paged walk saw %d entities, want 5", count)
	}
	_, err := f.svc.DeletePolicy(ctx, &iamapi.DeletePolicyRequest{PolicyArn: ptr(arn)})
	assertAPIError(t, err, "DeleteConflict", 409, "Cannot delete a policy attached to entities.")
	ghost := "arn:aws:iam::" + testAccount + ":policy/ghost"
	_, err = f.svc.ListEntitiesForPolicy(ctx, &iamapi.ListEntitiesForPolicyRequest{PolicyArn: ptr(ghost)})
	assertAPIError(t, err, "NoSuchEntity", 404, "Policy "+ghost+" was not found.")
}

// TestPolicyVersionQuotaConcurrent checks that racing CreatePolicyVersion calls never leave more than five
// versions and never reuse a version ID.
func TestPolicyVersionQuotaConcurrent(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	arn := str(createPolicy(t, f, ctx, "Raced", "").Arn)
	const n = 8
	type result struct {
		id  string
		err error
	}
	results := make(chan result, n)
	for range n {
		go func() {
			out, err := f.svc.CreatePolicyVersion(ctx, &iamapi.CreatePolicyVersionRequest{PolicyArn: ptr(arn), PolicyDocument: ptr(testPolicyV2), SetAsDefault: ptr(true)})
			if err != nil {
				results <- result{err: err}
				return
			}
			results <- result{id: str(out.PolicyVersion.VersionId)}
		}()
	}
	ids := map[string]bool{}
	for range n {
		r := <-results
		if r.err != nil {
			assertAPIError(t, r.err, "LimitExceeded", 409, "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
			continue
		}
		if ids[r.id] {
			t.Fatalf("version %s created twice", r.id)
		}
		ids[r.id] = true
	}
	vs := must(f.svc.ListPolicyVersions(ctx, &iamapi.ListPolicyVersionsRequest{PolicyArn: ptr(arn)}))(t).Versions
	if len(ids) != maxVersionsPerPolicy-1 || len(vs) != maxVersionsPerPolicy {
		t.Fatalf("%d versions created, %d stored", len(ids), len(vs))
	}
	defaults := 0
	for _, v := range vs {
		if *v.IsDefaultVersion {
			defaults++
		}
	}
	if defaults != 1 {
		t.Errorf("%d default versions", defaults)
	}
}

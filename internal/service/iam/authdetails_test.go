package iam

import (
	"fmt"
	"strings"
	"testing"

	"github.com/iamd/iamd/internal/api/iamapi"
)

// Details are read a batch of owners at a time (storage.Tx.OwnerDetailsInRange): across batch and page
// boundaries every user still gets exactly its own inline policies, attachments and groups.
func TestAuthorizationDetailsAcrossBatches(t *testing.T) {
	f := withCatalogue(t, newFixture(t))
	ctx := f.root()
	const users = 2*authDetailsBatch + 30
	must(f.svc.CreateGroup(ctx, &iamapi.CreateGroupRequest{GroupName: ptr("odd")}))(t)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	for i := range users {
		n := fmt.Sprintf("u%03d", i)
		createUser(t, f, ctx, n, "")
		switch i % 3 {
		case 0:
			must(f.svc.PutUserPolicy(ctx, &iamapi.PutUserPolicyRequest{UserName: ptr(n), PolicyName: ptr("p-" + n), PolicyDocument: ptr(doc)}))(t)
		case 1:
			must(f.svc.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyRequest{UserName: ptr(n), PolicyArn: ptr(readOnlyARN)}))(t)
		}
		if i%2 == 1 {
			must(f.svc.AddUserToGroup(ctx, &iamapi.AddUserToGroupRequest{GroupName: ptr("odd"), UserName: ptr(n)}))(t)
		}
	}
	var got []iamapi.UserDetail
	var marker *string
	for {
		out := must(f.svc.GetAccountAuthorizationDetails(ctx, &iamapi.GetAccountAuthorizationDetailsRequest{
			Filter: []string{iamapi.EntityTypeUser}, MaxItems: ptr(int32(150)), Marker: marker}))(t)
		got = append(got, out.UserDetailList...)
		if out.IsTruncated == nil || !*out.IsTruncated {
			break
		}
		marker = out.Marker
	}
	if len(got) != users {
		t.Fatalf("%d users, want %d", len(got), users)
	}
	for i, d := range got {
		n := fmt.Sprintf("u%03d", i)
		if *d.UserName != n {
			t.Fatalf("user %d is %s, want %s", i, *d.UserName, n)
		}
		wantInline, wantAttached, wantGroups := 0, 0, 0
		switch i % 3 {
		case 0:
			wantInline = 1
		case 1:
			wantAttached = 1
		}
		if i%2 == 1 {
			wantGroups = 1
		}
		if len(d.UserPolicyList) != wantInline || len(d.AttachedManagedPolicies) != wantAttached || len(d.GroupList) != wantGroups {
			t.Fatalf("%s: %d inline, %d attached, %d groups; want %d, %d, %d", n, len(d.UserPolicyList),
				len(d.AttachedManagedPolicies), len(d.GroupList), wantInline, wantAttached, wantGroups)
		}
		if wantInline == 1 && *d.UserPolicyList[0].PolicyName != "p-"+n {
			t.Fatalf("%s has the inline policy %s", n, *d.UserPolicyList[0].PolicyName)
		}
	}
}

// A page ends once it holds authDetailsPageBytes of policy documents, before the next owner's, with a
// marker that resumes there, across sections: every entity still comes once, in AWS's section order.
func TestAuthorizationDetailsPageBudget(t *testing.T) {
	f := withCatalogue(t, newFixture(t))
	ctx := f.root()
	// Whitespace does not count against the inline quota: 200,000 blanks (the wire allows 131072
	// characters of up to two bytes).
	big := `{` + strings.Repeat(" ", 200_000) + `"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	var want []string
	for i := range 25 {
		n := fmt.Sprintf("u%02d", i)
		createUser(t, f, ctx, n, "")
		must(f.svc.PutUserPolicy(ctx, &iamapi.PutUserPolicyRequest{UserName: ptr(n), PolicyName: ptr("p"), PolicyDocument: ptr(big)}))(t)
		want = append(want, "user "+n)
	}
	for i := range 12 {
		n := fmt.Sprintf("g%02d", i)
		must(f.svc.CreateGroup(ctx, &iamapi.CreateGroupRequest{GroupName: ptr(n)}))(t)
		must(f.svc.PutGroupPolicy(ctx, &iamapi.PutGroupPolicyRequest{GroupName: ptr(n), PolicyName: ptr("p"), PolicyDocument: ptr(big)}))(t)
		want = append(want, "group "+n)
	}
	must(f.svc.CreatePolicy(ctx, &iamapi.CreatePolicyRequest{PolicyName: ptr("small"),
		PolicyDocument: ptr(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)}))(t)
	want = append(want, "policy small")

	var got []string
	var marker *string
	pages := 0
	for {
		out := must(f.svc.GetAccountAuthorizationDetails(ctx, &iamapi.GetAccountAuthorizationDetailsRequest{MaxItems: ptr(int32(1000)), Marker: marker}))(t)
		pages++
		bytes := 0
		for _, u := range out.UserDetailList {
			got = append(got, "user "+*u.UserName)
			bytes += len(*u.UserPolicyList[0].PolicyDocument)
		}
		for _, g := range out.GroupDetailList {
			got = append(got, "group "+*g.GroupName)
			bytes += len(*g.GroupPolicyList[0].PolicyDocument)
		}
		for _, p := range out.Policies {
			got = append(got, "policy "+*p.PolicyName)
		}
		// Documents come URL-encoded (a blank is three bytes): the budget plus one owner's, encoded.
		if bytes > 3*(authDetailsPageBytes+len(big)) {
			t.Fatalf("page %d holds %d bytes of encoded documents", pages, bytes)
		}
		if !*out.IsTruncated {
			break
		}
		marker = out.Marker
	}
	if strings.Join(got, ",") != strings.Join(want, ",") || pages < 2 {
		t.Fatalf("%d pages: %v, want %v", pages, got, want)
	}
}

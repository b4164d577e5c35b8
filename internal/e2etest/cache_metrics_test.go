package e2etest

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamd/iamd/internal/storage/cache"
)

// cacheTables are the tables of the store's cache as /metrics names them.
var cacheTables = []string{"keys", "missing_keys", "accounts", "users", "roles", "user_ids", "role_ids",
	"attachments", "policy_versions", "user_pages", "key_ring", "versions"}

// /metrics exports the entries and the bound of every table of the store's cache, and the entries follow
// what requests put there: a user signing requests fills keys, users, user IDs, its attachment list, the
// versions of its policy and the versions the authorizer checks.
func TestMetricsExportEveryCacheTable(t *testing.T) {
	s := Start(t, Options{})
	ctx := context.Background()
	root := s.IAM(RootCreds())
	creds := newUserWithKey(t, s, "metered")
	pol, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("metered"), PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("metered-role"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + AccountID + `:root"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	user := s.IAM(creds)
	if _, err := user.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("metered")}); err != nil {
		t.Fatal(err)
	}
	if _, err := user.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("metered-role")}); err != nil {
		t.Fatal(err)
	}
	capacity := map[string]float64{"keys": cache.DefaultMaxEntries, "missing_keys": cache.DefaultMaxMissingKeys,
		"users": cache.DefaultMaxEntries, "attachments": cache.DefaultMaxEntries, "versions": cache.DefaultMaxEntries,
		"key_ring": 1}
	filled := map[string]bool{"keys": true, "users": true, "user_ids": true, "roles": true,
		"attachments": true, "policy_versions": true, "versions": true}
	for _, table := range cacheTables {
		entries := metricValue(t, s.URL, fmt.Sprintf(`iamd_cache_entries{table=%q}`, table))
		bound := metricValue(t, s.URL, fmt.Sprintf(`iamd_cache_capacity{table=%q}`, table))
		if entries < 0 || entries > bound || bound <= 0 {
			t.Errorf("table %s: %v entries, bound %v", table, entries, bound)
		}
		if want, ok := capacity[table]; ok && bound != want {
			t.Errorf("table %s: bound %v, want %v", table, bound, want)
		}
		if filled[table] && entries < 1 {
			t.Errorf("table %s: %v entries after the requests that read it", table, entries)
		}
	}
}

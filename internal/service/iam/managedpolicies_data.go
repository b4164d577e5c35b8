package iam

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// awsManagedPoliciesGz is a snapshot of the AWS managed policies (for each its name, ID, ARN,
// path, default version ID and document, dates and IsAttachable, as IAM returns them): every
// account sees them read-only under arn:PARTITION:iam::aws:policy/…, so they live in the binary, not in storage.
//
//go:embed data/aws-managed-policies.json.gz
var awsManagedPoliciesGz []byte

// awsManagedAccount is the "account" part of every AWS managed policy ARN.
const awsManagedAccount = "aws"

// awsManagedPolicy is one AWS managed policy, with the default version's document. Attachment counts are not
// here: they are per account and come from the account's stored attachments.
type awsManagedPolicy struct {
	Name             string
	ID               string
	Path             string
	DefaultVersionID string
	IsAttachable     bool
	CreateDate       time.Time
	UpdateDate       time.Time
	// VersionCreateDate is the creation date of the default version.
	VersionCreateDate time.Time
	// Document is the default version's policy document, compact JSON with AWS's key order kept.
	Document string
}

// ARN returns the policy's ARN in partition.
func (p *awsManagedPolicy) ARN(partition string) string {
	return "arn:" + partition + ":iam::" + awsManagedAccount + ":policy" + p.Path + p.Name
}

// ManagedPolicies is the read-only catalogue of AWS managed policies, indexed for the lookups the
// operations make. It is shared by every account and never changes while the process runs.
type ManagedPolicies struct {
	// sorted by name (case-insensitively, then exactly) so that listings have a stable order.
	list []*awsManagedPolicy
	// byResource maps "policy/PATH/NAME" (the ARN's resource part) to the policy.
	byResource map[string]*awsManagedPolicy
	byName     map[string]*awsManagedPolicy
}

// awsManagedPolicyFile is the layout of the embedded JSON.
type awsManagedPolicyFile struct {
	Count    int `json:"count"`
	Policies []struct {
		PolicyName        string          `json:"PolicyName"`
		PolicyID          string          `json:"PolicyId"`
		Arn               string          `json:"Arn"`
		Path              string          `json:"Path"`
		DefaultVersionID  string          `json:"DefaultVersionId"`
		IsAttachable      bool            `json:"IsAttachable"`
		CreateDate        string          `json:"CreateDate"`
		UpdateDate        string          `json:"UpdateDate"`
		VersionCreateDate string          `json:"VersionCreateDate"`
		Document          json.RawMessage `json:"Document"`
	} `json:"policies"`
}

// LoadManagedPolicies returns the catalogue embedded in the binary. It is decoded once; every later call
// returns the same value.
func LoadManagedPolicies() (*ManagedPolicies, error) { return loadEmbeddedManagedPolicies() }

var loadEmbeddedManagedPolicies = sync.OnceValues(func() (*ManagedPolicies, error) {
	return parseAWSManagedPolicies(awsManagedPoliciesGz)
})

// Len returns the number of AWS managed policies in the catalogue.
func (s *ManagedPolicies) Len() int { return len(s.list) }

// parseAWSManagedPolicies decodes a gzip-compressed snapshot.
func parseAWSManagedPolicies(gz []byte) (*ManagedPolicies, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("aws managed policies: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("aws managed policies: %w", err)
	}
	var f awsManagedPolicyFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("aws managed policies: %w", err)
	}
	if f.Count != len(f.Policies) {
		return nil, fmt.Errorf("aws managed policies: file says %d policies, holds %d", f.Count, len(f.Policies))
	}
	set := &ManagedPolicies{
		list:       make([]*awsManagedPolicy, 0, len(f.Policies)),
		byResource: make(map[string]*awsManagedPolicy, len(f.Policies)),
		byName:     make(map[string]*awsManagedPolicy, len(f.Policies)),
	}
	for _, fp := range f.Policies {
		p := &awsManagedPolicy{
			Name:             fp.PolicyName,
			ID:               fp.PolicyID,
			Path:             fp.Path,
			DefaultVersionID: fp.DefaultVersionID,
			IsAttachable:     fp.IsAttachable,
		}
		for _, d := range []struct {
			dst *time.Time
			src string
		}{{&p.CreateDate, fp.CreateDate}, {&p.UpdateDate, fp.UpdateDate}, {&p.VersionCreateDate, fp.VersionCreateDate}} {
			t, err := time.Parse(time.RFC3339, d.src)
			if err != nil {
				return nil, fmt.Errorf("aws managed policy %s: %w", fp.PolicyName, err)
			}
			*d.dst = t.UTC()
		}
		var doc bytes.Buffer
		if err := json.Compact(&doc, fp.Document); err != nil {
			return nil, fmt.Errorf("aws managed policy %s: document: %w", fp.PolicyName, err)
		}
		p.Document = doc.String()
		if want := p.ARN("aws"); want != fp.Arn {
			return nil, fmt.Errorf("aws managed policy %s: ARN %q does not match path and name (%q)", fp.PolicyName, fp.Arn, want)
		}
		res := "policy" + p.Path + p.Name
		if _, dup := set.byResource[res]; dup {
			return nil, fmt.Errorf("aws managed policy %s: duplicate", fp.Arn)
		}
		set.byResource[res] = p
		set.byName[p.Name] = p
		set.list = append(set.list, p)
	}
	sort.Slice(set.list, func(i, j int) bool { return policyNameLess(set.list[i].Name, set.list[j].Name) })
	return set, nil
}

// policyNameLess orders policy names case-insensitively (names are unique that way), exact order breaking ties.
func policyNameLess(a, b string) bool {
	la, lb := strings.ToLower(a), strings.ToLower(b)
	if la != lb {
		return la < lb
	}
	return a < b
}

// lookupARN returns the AWS managed policy named by arn in partition, or nil when arn does not name one.
func (s *ManagedPolicies) lookupARN(partition, arn string) *awsManagedPolicy {
	prefix := "arn:" + partition + ":iam::" + awsManagedAccount + ":"
	if !strings.HasPrefix(arn, prefix) {
		return nil
	}
	return s.byResource[arn[len(prefix):]]
}

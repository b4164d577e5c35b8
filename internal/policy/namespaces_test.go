package policy

import (
	"slices"
	"testing"
)

func TestAllowsNamespace(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		ns   string
		want bool
	}{
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, "s3", true},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"IAM:Get*","Resource":"*"}]}`, "iam", true},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}`, "sts", false},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*:GetCallerIdentity","Resource":"*"}]}`, "sts", true},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`, "iam", false},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`, "iam", false},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`, "sts", true},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:Delete*","Resource":"*"}]}`, "iam", true},
	} {
		p, err := Parse(tc.doc, KindIdentity)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.AllowsNamespace(tc.ns); got != tc.want {
			t.Errorf("%s allows %s = %v, want %v", tc.doc, tc.ns, got, tc.want)
		}
	}
	p, err := Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["S3:Get*","iam:List*","s3:Put*","*:Describe*"],"Resource":"*"},{"Effect":"Deny","Action":"kms:*","Resource":"*"}]}`, KindIdentity)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Namespaces(); !slices.Equal(got, []string{"s3", "iam"}) {
		t.Errorf("Namespaces = %v", got)
	}
}

package policy

import (
	"testing"
)

// FuzzParse checks that no document makes the parser or the evaluator panic, and that every rejection is a
// MalformedError.
func FuzzParse(f *testing.F) {
	seeds := []string{
		allowAll,
		`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
		`{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Deny","NotAction":["iam:*"],"NotResource":"arn:aws:s3:::b/${aws:username, 'x'}/*","Condition":{"ForAllValues:StringLikeIfExists":{"aws:TagKeys":["a*","${*}"]},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","::1"]},"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"},"Null":{"aws:TokenIssueTime":true}}}]}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:role/r"],"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":"*","Action":"s3:*"}}`,
		`{"Statement":[{"Effect":"Allow","Action":"\ud83d\ude00:x","Resource":"*"}]}`,
		`{"a":[1,-2.5e+3,true,false,null,{"b":"\u00e9\""}]}`,
		`[[[[[[[[`,
		`{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${aws:username"}}`,
	}
	for _, s := range seeds {
		f.Add(s, uint8(KindIdentity))
		f.Add(s, uint8(KindTrust))
	}
	f.Fuzz(func(t *testing.T, doc string, k uint8) {
		kind := Kind(k%5) + KindIdentity
		p, err := Parse(doc, kind)
		if err != nil {
			if _, ok := err.(*MalformedError); !ok {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		_ = p.ContextKeys()
		_ = Size(doc)
		req := &Request{Action: "iam:GetUser", Resource: "arn:aws:iam::123456789012:user/bob",
			Principal: Principal{ARN: "arn:aws:iam::123456789012:user/bob", AccountID: "123456789012"},
			Context:   ctxMap{"aws:username": {"bob"}, "aws:TagKeys": {"a", "b"}, "aws:SourceIp": {"10.1.2.3"}, "aws:CurrentTime": {"2019-01-01T00:00:00Z"}}}
		a := Attached{Policy: p}
		set := &Set{Identity: []Attached{a}}
		if kind == KindTrust || kind == KindResource {
			set = &Set{Resource: &a, ResourceAccount: "999999999999"}
		}
		_ = Evaluate(req, set)
	})
}

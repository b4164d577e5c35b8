package policy

import (
	"fmt"
	"strings"
	"testing"
)

// benchSet builds a principal with 10 managed policies of 20 statements each, in the shape real policies
// have: service wildcards, exact actions, ARNs with wildcards, a few conditions, one variable.
func benchSet(b *testing.B) *Set {
	set := &Set{}
	services := []string{"ec2", "s3", "dynamodb", "sqs", "sns", "lambda", "logs", "cloudwatch", "kms", "iam"}
	for p := 0; p < 10; p++ {
		var stmts []string
		for s := 0; s < 20; s++ {
			svc := services[(p+s)%len(services)]
			var st string
			switch s % 5 {
			case 0:
				st = fmt.Sprintf(`{"Effect":"Allow","Action":["%s:Get*","%s:List*","%s:Describe*"],"Resource":"*"}`, svc, svc, svc)
			case 1:
				st = fmt.Sprintf(`{"Effect":"Allow","Action":"%s:Put%d","Resource":"arn:aws:%s:*:111111111111:thing-%d/*"}`, svc, s, svc, p)
			case 2:
				st = fmt.Sprintf(`{"Effect":"Allow","Action":"%s:Create*","Resource":"arn:aws:%s:us-east-1:111111111111:${aws:username}/*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}`, svc, svc)
			case 3:
				st = fmt.Sprintf(`{"Effect":"Deny","Action":"%s:Delete*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}`, svc)
			default:
				st = fmt.Sprintf(`{"Effect":"Allow","NotAction":"%s:*","Resource":"arn:aws:%s:::bucket-%d","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`, svc, svc, p)
			}
			stmts = append(stmts, st)
		}
		d := `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
		pol, err := Parse(d, KindIdentity)
		if err != nil {
			b.Fatal(err)
		}
		set.Identity = append(set.Identity, Attached{Policy: pol, ID: fmt.Sprint(p), Source: SourceUserManaged})
	}
	return set
}

func BenchmarkEvaluate10x20(b *testing.B) {
	set := benchSet(b)
	req := &Request{
		Action:    "iam:CreateUser",
		Resource:  "arn:aws:iam::111111111111:user/alice",
		Principal: Principal{ARN: "arn:aws:iam::111111111111:user/bob", AccountID: "111111111111"},
		Context: map[string][]string{
			"aws:username": {"bob"}, "aws:requestedregion": {"us-east-1"}, "aws:sourceip": {"10.1.2.3"},
			"aws:multifactorauthpresent": {"true"}, "aws:securetransport": {"true"},
		},
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		d := Evaluate(req, set)
		if d.Result == ExplicitDeny {
			b.Fatal("unexpected deny")
		}
	}
}

func BenchmarkParse(b *testing.B) {
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/${aws:username}/*"],"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc, KindIdentity); err != nil {
			b.Fatal(err)
		}
	}
}

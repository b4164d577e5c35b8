package policy

import (
	"testing"
)

// FuzzParse checks that no document makes the parser or the evaluator panic, that every rejection is a
// MalformedError, and that ParseStored accepts every document Parse accepts, compiling the same statements
// (a document valid when written stays usable when read back).
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
		`{"Version":"2012-10-17","Statement":{"Effect":"allow","Action":"s3.s:x","Resource":["arn:aws:iam::*:user/a","arn:aws:s3:us-east-1:1:accesspoint/p",null],"Condition":{"DateLessThan":{"a":"2016-12-13t2:00:00.593194+23"},"Foo":{}}}}`,
		`{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Deny","NotAction":"s3:x","NotResource":"a:b:c:d:e:f:g"},{"Sid":"a","Effect":"Allow"}]}`,
	}
	for _, c := range checkedInvalid {
		seeds = append(seeds, c.doc)
	}
	seeds = append(seeds, checkedValid...)
	for _, s := range seeds {
		f.Add(s, uint8(KindIdentity))
		f.Add(s, uint8(KindTrust))
	}
	f.Fuzz(func(t *testing.T, doc string, k uint8) {
		kind := Kind(k%5) + KindIdentity
		stored, serr := ParseStored(doc, kind)
		if serr != nil {
			if _, ok := serr.(*MalformedError); !ok {
				t.Fatalf("stored: error %T %v", serr, serr)
			}
		} else {
			checkPositions(t, doc, stored)
		}
		p, err := Parse(doc, kind)
		if err != nil {
			if _, ok := err.(*MalformedError); !ok {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		if serr != nil || len(stored.Statements) != len(p.Statements) || stored.Cost(3) != p.Cost(3) {
			t.Fatalf("Parse accepted %q, ParseStored: %v", doc, serr)
		}
		_ = p.ContextKeys()
		// Every namespace an Allow statement names is one the policy allows (access advisor).
		for _, ns := range p.Namespaces() {
			if !p.AllowsNamespace(ns) {
				t.Fatalf("%q names %s but does not allow it", doc, ns)
			}
		}
		_ = Size(doc)
		// Positions computed in one pass are those of a scan from the start; Cost grows with its subject.
		checkPositions(t, doc, p)
		if c0, c9 := p.Cost(0), p.Cost(9); c0 < len(p.Statements) || c9 < c0 {
			t.Fatalf("cost %d, %d for %d statements", c0, c9, len(p.Statements))
		}
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

// checkPositions compares each statement's Start and End with a scan of doc from its first byte.
func checkPositions(t *testing.T, doc string, p *Policy) {
	t.Helper()
	at := func(off int) Position {
		line, col := 1, 1
		for i, c := range doc {
			if i >= off {
				break
			}
			if c == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		return Position{Line: line, Column: col}
	}
	root, err := parseJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	list := []*jsonNode{root.member("Statement")}
	if list[0].kind == jArray {
		list = list[0].vals
	}
	for i, st := range p.Statements {
		if want := (struct{ a, b Position }{at(list[i].start), at(list[i].end)}); st.Start != want.a || st.End != want.b {
			t.Fatalf("statement %d at %v-%v, want %v-%v", i, st.Start, st.End, want.a, want.b)
		}
	}
}

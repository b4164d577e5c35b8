package policy

import (
	"testing"
)

type ctxMap = map[string][]string

// TestConditions evaluates one Allow statement whose only restriction is the condition under test.
func TestConditions(t *testing.T) {
	cases := []struct {
		name string
		cond string
		ctx  ctxMap
		want bool
	}{
		// Strings.
		{"StringEquals hit", `{"StringEquals":{"aws:username":"bob"}}`, ctxMap{"aws:username": {"bob"}}, true},
		{"StringEquals case-sensitive", `{"StringEquals":{"aws:username":"bob"}}`, ctxMap{"aws:username": {"Bob"}}, false},
		{"StringEquals key case-insensitive", `{"StringEquals":{"AWS:UserName":"bob"}}`, ctxMap{"aws:username": {"bob"}}, true},
		{"StringEquals request key uppercase", `{"StringEquals":{"aws:username":"bob"}}`, ctxMap{"AWS:USERNAME": {"bob"}}, true},
		{"StringEquals OR of values", `{"StringEquals":{"aws:username":["al","bob"]}}`, ctxMap{"aws:username": {"bob"}}, true},
		{"StringEquals missing key", `{"StringEquals":{"aws:username":"bob"}}`, nil, false},
		{"StringEquals no wildcard", `{"StringEquals":{"aws:username":"b*"}}`, ctxMap{"aws:username": {"bob"}}, false},
		{"StringEquals literal star", `{"StringEquals":{"aws:username":"b*"}}`, ctxMap{"aws:username": {"b*"}}, true},
		{"StringNotEquals hit", `{"StringNotEquals":{"aws:username":"bob"}}`, ctxMap{"aws:username": {"al"}}, true},
		{"StringNotEquals miss", `{"StringNotEquals":{"aws:username":"bob"}}`, ctxMap{"aws:username": {"bob"}}, false},
		{"StringNotEquals NOR", `{"StringNotEquals":{"aws:username":["al","bob"]}}`, ctxMap{"aws:username": {"bob"}}, false},
		{"StringNotEquals missing key is true", `{"StringNotEquals":{"aws:username":"bob"}}`, nil, true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:username":"BOB"}}`, ctxMap{"aws:username": {"bob"}}, true},
		{"StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"aws:username":"BOB"}}`, ctxMap{"aws:username": {"bob"}}, false},
		{"StringLike star", `{"StringLike":{"s3:prefix":"home/*"}}`, ctxMap{"s3:prefix": {"home/bob/x"}}, true},
		{"StringLike question", `{"StringLike":{"s3:prefix":"b?b"}}`, ctxMap{"s3:prefix": {"bob"}}, true},
		{"StringLike question one char", `{"StringLike":{"s3:prefix":"b?b"}}`, ctxMap{"s3:prefix": {"boob"}}, false},
		{"StringLike case-sensitive", `{"StringLike":{"s3:prefix":"Home/*"}}`, ctxMap{"s3:prefix": {"home/x"}}, false},
		{"StringLike middle star", `{"StringLike":{"s3:prefix":"a*c*e"}}`, ctxMap{"s3:prefix": {"abcdcxe"}}, true},
		{"StringLike middle star miss", `{"StringLike":{"s3:prefix":"a*c*e"}}`, ctxMap{"s3:prefix": {"abcdcxef"}}, false},
		{"StringNotLike", `{"StringNotLike":{"s3:prefix":"home/*"}}`, ctxMap{"s3:prefix": {"tmp/x"}}, true},
		{"StringNotLike miss", `{"StringNotLike":{"s3:prefix":"home/*"}}`, ctxMap{"s3:prefix": {"home/x"}}, false},
		{"StringLike literal star via variable", `{"StringLike":{"s3:prefix":"a${*}"}}`, ctxMap{"s3:prefix": {"ab"}}, false},
		{"StringLike literal star via variable hit", `{"StringLike":{"s3:prefix":"a${*}"}}`, ctxMap{"s3:prefix": {"a*"}}, true},
		{"StringEquals dollar literal", `{"StringEquals":{"s3:prefix":"${$}x"}}`, ctxMap{"s3:prefix": {"$x"}}, true},
		{"StringEquals question literal", `{"StringEquals":{"s3:prefix":"${?}"}}`, ctxMap{"s3:prefix": {"?"}}, true},
		// IfExists.
		{"StringEqualsIfExists missing", `{"StringEqualsIfExists":{"ec2:InstanceType":"t2.micro"}}`, nil, true},
		{"StringEqualsIfExists present miss", `{"StringEqualsIfExists":{"ec2:InstanceType":"t2.micro"}}`, ctxMap{"ec2:instancetype": {"m5.large"}}, false},
		{"StringEqualsIfExists present hit", `{"StringEqualsIfExists":{"ec2:InstanceType":"t2.micro"}}`, ctxMap{"ec2:instancetype": {"t2.micro"}}, true},
		{"NumericLessThanIfExists missing", `{"NumericLessThanIfExists":{"s3:max-keys":"10"}}`, nil, true},
		{"ArnLikeIfExists missing", `{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:sns:*:*:t"}}`, nil, true},
		{"BoolIfExists missing", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`, nil, true},
		// Null.
		{"Null true on missing", `{"Null":{"aws:TokenIssueTime":"true"}}`, nil, true},
		{"Null true on present", `{"Null":{"aws:TokenIssueTime":"true"}}`, ctxMap{"aws:tokenissuetime": {"2020-01-01T00:00:00Z"}}, false},
		{"Null false on present", `{"Null":{"aws:TokenIssueTime":"false"}}`, ctxMap{"aws:tokenissuetime": {"x"}}, true},
		{"Null false on missing", `{"Null":{"aws:TokenIssueTime":"false"}}`, nil, false},
		{"Null bool value", `{"Null":{"aws:TokenIssueTime":true}}`, nil, true},
		{"Null empty list is missing", `{"Null":{"aws:TagKeys":"true"}}`, ctxMap{"aws:tagkeys": {}}, true},
		// Set operators.
		{"ForAllValues all in", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}`, ctxMap{"aws:tagkeys": {"a", "b"}}, true},
		{"ForAllValues one out", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}`, ctxMap{"aws:tagkeys": {"a", "c"}}, false},
		{"ForAllValues missing key true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}`, nil, true},
		{"ForAllValues empty set true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}`, ctxMap{"aws:tagkeys": {}}, true},
		{"ForAnyValue one in", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["a"]}}`, ctxMap{"aws:tagkeys": {"x", "a"}}, true},
		{"ForAnyValue none in", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["a"]}}`, ctxMap{"aws:tagkeys": {"x", "y"}}, false},
		{"ForAnyValue missing false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["a"]}}`, nil, false},
		{"ForAnyValue IfExists missing true", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["a"]}}`, nil, true},
		{"ForAllValues StringLike", `{"ForAllValues:StringLike":{"aws:TagKeys":["env*","team"]}}`, ctxMap{"aws:tagkeys": {"env-x", "team"}}, true},
		{"ForAllValues StringNotEquals all out", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, ctxMap{"aws:tagkeys": {"a", "b"}}, true},
		{"ForAllValues StringNotEquals one in", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, ctxMap{"aws:tagkeys": {"a", "secret"}}, false},
		{"ForAnyValue StringNotEquals one out", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a"]}}`, ctxMap{"aws:tagkeys": {"a", "b"}}, true},
		{"ForAnyValue StringNotEquals all in", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a","b"]}}`, ctxMap{"aws:tagkeys": {"a", "b"}}, false},
		{"ForAllValues StringNotEquals missing true", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["a"]}}`, nil, true},
		{"ForAnyValue StringNotEquals missing false", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a"]}}`, nil, false},
		{"no set op multivalued any", `{"StringEquals":{"aws:TagKeys":"b"}}`, ctxMap{"aws:tagkeys": {"a", "b"}}, true},
		{"no set op negated multivalued NOR", `{"StringNotEquals":{"aws:TagKeys":"b"}}`, ctxMap{"aws:tagkeys": {"a", "b"}}, false},
		{"set operator case-insensitive", `{"forallvalues:stringequals":{"aws:TagKeys":["a"]}}`, ctxMap{"aws:tagkeys": {"a"}}, true},
		// Numbers.
		{"NumericEquals", `{"NumericEquals":{"s3:max-keys":"10"}}`, ctxMap{"s3:max-keys": {"10"}}, true},
		{"NumericEquals decimal", `{"NumericEquals":{"s3:max-keys":"10"}}`, ctxMap{"s3:max-keys": {"10.0"}}, true},
		{"NumericEquals miss", `{"NumericEquals":{"s3:max-keys":"10"}}`, ctxMap{"s3:max-keys": {"11"}}, false},
		{"NumericNotEquals", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, ctxMap{"s3:max-keys": {"11"}}, true},
		{"NumericNotEquals miss", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, ctxMap{"s3:max-keys": {"10"}}, false},
		{"NumericLessThan", `{"NumericLessThan":{"s3:max-keys":"10"}}`, ctxMap{"s3:max-keys": {"9"}}, true},
		{"NumericLessThan equal", `{"NumericLessThan":{"s3:max-keys":"10"}}`, ctxMap{"s3:max-keys": {"10"}}, false},
		{"NumericLessThanEquals equal", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, ctxMap{"s3:max-keys": {"10"}}, true},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"s3:max-keys":"10"}}`, ctxMap{"s3:max-keys": {"10.5"}}, true},
		{"NumericGreaterThan miss", `{"NumericGreaterThan":{"s3:max-keys":"10"}}`, ctxMap{"s3:max-keys": {"-3"}}, false},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"s3:max-keys":10}}`, ctxMap{"s3:max-keys": {"10"}}, true},
		{"Numeric request not a number", `{"NumericLessThan":{"s3:max-keys":"10"}}`, ctxMap{"s3:max-keys": {"ten"}}, false},
		{"Numeric policy not a number", `{"NumericLessThan":{"s3:max-keys":"ten"}}`, ctxMap{"s3:max-keys": {"1"}}, false},
		// Dates.
		{"DateLessThan iso", `{"DateLessThan":{"aws:CurrentTime":"2020-06-30T00:00:00Z"}}`, ctxMap{"aws:currenttime": {"2020-06-01T12:00:00Z"}}, true},
		{"DateLessThan iso miss", `{"DateLessThan":{"aws:CurrentTime":"2020-06-30T00:00:00Z"}}`, ctxMap{"aws:currenttime": {"2020-07-01T00:00:00Z"}}, false},
		{"DateGreaterThan date only", `{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01"}}`, ctxMap{"aws:currenttime": {"2020-01-01T00:00:01Z"}}, true},
		{"DateEquals epoch vs iso", `{"DateEquals":{"aws:CurrentTime":"1577836800"}}`, ctxMap{"aws:currenttime": {"2020-01-01T00:00:00Z"}}, true},
		{"DateNotEquals", `{"DateNotEquals":{"aws:CurrentTime":"1577836800"}}`, ctxMap{"aws:currenttime": {"2020-01-01T00:00:01Z"}}, true},
		{"DateLessThanEquals equal", `{"DateLessThanEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, ctxMap{"aws:currenttime": {"1577836800"}}, true},
		{"DateGreaterThanEquals offset", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2020-01-01T02:00:00+02:00"}}`, ctxMap{"aws:currenttime": {"2020-01-01T00:00:00Z"}}, true},
		{"DateGreaterThan millis", `{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00.000Z"}}`, ctxMap{"aws:currenttime": {"2020-01-01T00:00:00.5Z"}}, true},
		{"Date bad request value", `{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01"}}`, ctxMap{"aws:currenttime": {"yesterday"}}, false},
		// Bool.
		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, ctxMap{"aws:securetransport": {"true"}}, true},
		{"Bool case-insensitive", `{"Bool":{"aws:SecureTransport":"true"}}`, ctxMap{"aws:securetransport": {"TRUE"}}, true},
		{"Bool false vs true", `{"Bool":{"aws:SecureTransport":false}}`, ctxMap{"aws:securetransport": {"true"}}, false},
		{"Bool missing", `{"Bool":{"aws:MultiFactorAuthPresent":"false"}}`, nil, false},
		// Binary.
		{"BinaryEquals raw", `{"BinaryEquals":{"k:bin":"QmluYXJ5VmFsdWU="}}`, ctxMap{"k:bin": {"BinaryValue"}}, true},
		{"BinaryEquals base64 text", `{"BinaryEquals":{"k:bin":"QmluYXJ5VmFsdWU="}}`, ctxMap{"k:bin": {"QmluYXJ5VmFsdWU="}}, true},
		{"BinaryEquals miss", `{"BinaryEquals":{"k:bin":"QmluYXJ5VmFsdWU="}}`, ctxMap{"k:bin": {"Other"}}, false},
		// IP addresses.
		{"IpAddress in v4 cidr", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctxMap{"aws:sourceip": {"203.0.113.7"}}, true},
		{"IpAddress out of v4 cidr", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctxMap{"aws:sourceip": {"203.0.114.7"}}, false},
		{"IpAddress bare address", `{"IpAddress":{"aws:SourceIp":"10.1.2.3"}}`, ctxMap{"aws:sourceip": {"10.1.2.3"}}, true},
		{"IpAddress unmasked cidr", `{"IpAddress":{"aws:SourceIp":"10.1.2.3/8"}}`, ctxMap{"aws:sourceip": {"10.200.0.1"}}, true},
		{"IpAddress v6", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, ctxMap{"aws:sourceip": {"2001:db8:1::5"}}, true},
		{"IpAddress v6 miss", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, ctxMap{"aws:sourceip": {"2001:db9::5"}}, false},
		{"IpAddress v4-mapped v6", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctxMap{"aws:sourceip": {"::ffff:10.0.0.1"}}, true},
		{"IpAddress list", `{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","10.0.0.0/8"]}}`, ctxMap{"aws:sourceip": {"10.9.9.9"}}, true},
		{"NotIpAddress out", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctxMap{"aws:sourceip": {"192.0.2.1"}}, true},
		{"NotIpAddress in", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctxMap{"aws:sourceip": {"10.0.0.1"}}, false},
		{"IpAddress garbage request", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctxMap{"aws:sourceip": {"not-ip"}}, false},
		// ARNs.
		{"ArnEquals exact", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:t"}}`, ctxMap{"aws:sourcearn": {"arn:aws:sns:us-east-1:123456789012:t"}}, true},
		{"ArnLike region wildcard", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:t"}}`, ctxMap{"aws:sourcearn": {"arn:aws:sns:eu-west-1:123456789012:t"}}, true},
		{"ArnLike star does not cross colon", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:t"}}`, ctxMap{"aws:sourcearn": {"arn:aws:sns:eu-west-1:123456789012:t"}}, false},
		{"ArnLike last segment takes colons", `{"ArnLike":{"aws:SourceArn":"arn:aws:logs:*:*:log-group:*"}}`, ctxMap{"aws:sourcearn": {"arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:s"}}, true},
		{"ArnEquals wildcards too", `{"ArnEquals":{"aws:SourceArn":"arn:aws:iam::*:role/x"}}`, ctxMap{"aws:sourcearn": {"arn:aws:iam::123456789012:role/x"}}, true},
		{"ArnLike case-sensitive", `{"ArnLike":{"aws:SourceArn":"arn:aws:iam::*:role/X"}}`, ctxMap{"aws:sourcearn": {"arn:aws:iam::123456789012:role/x"}}, false},
		{"ArnNotLike", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:iam::*:role/x"}}`, ctxMap{"aws:sourcearn": {"arn:aws:iam::123456789012:role/y"}}, true},
		{"ArnNotEquals miss", `{"ArnNotEquals":{"aws:SourceArn":"arn:aws:iam::*:role/x"}}`, ctxMap{"aws:sourcearn": {"arn:aws:iam::123456789012:role/x"}}, false},
		{"ArnLike missing", `{"ArnLike":{"aws:SourceArn":"arn:aws:iam::*:role/x"}}`, nil, false},
		{"ArnNotLike missing", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:iam::*:role/x"}}`, nil, true},
		{"ArnLike short value", `{"ArnLike":{"aws:SourceArn":"arn:aws:iam::*:role/x"}}`, ctxMap{"aws:sourcearn": {"arn:aws"}}, false},
		// Several keys and operators are ANDed.
		{"two keys both", `{"StringEquals":{"aws:username":"bob","aws:RequestedRegion":"us-east-1"}}`, ctxMap{"aws:username": {"bob"}, "aws:requestedregion": {"us-east-1"}}, true},
		{"two keys one", `{"StringEquals":{"aws:username":"bob","aws:RequestedRegion":"us-east-1"}}`, ctxMap{"aws:username": {"bob"}, "aws:requestedregion": {"eu-west-1"}}, false},
		{"two operators both", `{"StringEquals":{"aws:username":"bob"},"Bool":{"aws:SecureTransport":"true"}}`, ctxMap{"aws:username": {"bob"}, "aws:securetransport": {"true"}}, true},
		{"two operators one", `{"StringEquals":{"aws:username":"bob"},"Bool":{"aws:SecureTransport":"true"}}`, ctxMap{"aws:username": {"bob"}}, false},
		// Variables in condition values.
		{"variable in value", `{"StringEquals":{"s3:prefix":"home/${aws:username}"}}`, ctxMap{"aws:username": {"bob"}, "s3:prefix": {"home/bob"}}, true},
		{"variable unresolved", `{"StringEquals":{"s3:prefix":"home/${aws:username}"}}`, ctxMap{"s3:prefix": {"home/"}}, false},
		{"variable default", `{"StringEquals":{"s3:prefix":"home/${aws:username, 'anon'}"}}`, ctxMap{"s3:prefix": {"home/anon"}}, true},
		{"variable default spacing", `{"StringEquals":{"s3:prefix":"${aws:username,'anon'}"}}`, ctxMap{"s3:prefix": {"anon"}}, true},
		{"variable tag", `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}`, ctxMap{"aws:resourcetag/team": {"red"}, "aws:principaltag/team": {"red"}}, true},
		{"variable tag mismatch", `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}`, ctxMap{"aws:resourcetag/team": {"red"}, "aws:principaltag/team": {"blue"}}, false},
		{"variable value literal in like", `{"StringLike":{"s3:prefix":"${aws:username}/*"}}`, ctxMap{"aws:username": {"b*"}, "s3:prefix": {"bob/x"}}, false},
		{"variable value literal in like hit", `{"StringLike":{"s3:prefix":"${aws:username}/*"}}`, ctxMap{"aws:username": {"b*"}, "s3:prefix": {"b*/x"}}, true},
		{"variable multivalued unresolved", `{"StringEquals":{"s3:prefix":"${aws:TagKeys}"}}`, ctxMap{"aws:tagkeys": {"a", "b"}, "s3:prefix": {"a"}}, false},
		{"variable in numeric", `{"NumericLessThan":{"s3:max-keys":"${k:limit}"}}`, ctxMap{"k:limit": {"5"}, "s3:max-keys": {"4"}}, true},
		{"variable in ip", `{"IpAddress":{"aws:SourceIp":"${k:net}"}}`, ctxMap{"k:net": {"10.0.0.0/8"}, "aws:sourceip": {"10.1.1.1"}}, true},
		{"variable in arn", `{"ArnLike":{"aws:SourceArn":"arn:aws:iam::*:user/${aws:username}"}}`, ctxMap{"aws:username": {"bob"}, "aws:sourcearn": {"arn:aws:iam::123456789012:user/bob"}}, true},
		{"negated operator unresolved variable", `{"StringNotEquals":{"s3:prefix":"${aws:username}"}}`, ctxMap{"s3:prefix": {"x"}}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":` + tc.cond + `}}`
			p, err := Parse(doc, KindIdentity)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			d := Evaluate(&Request{Action: "s3:ListBucket", Resource: "arn:aws:s3:::b", Context: tc.ctx},
				&Set{Identity: []Attached{{Policy: p, ID: "p"}}})
			if d.Allowed() != tc.want {
				t.Fatalf("allowed = %v, want %v (%+v)", d.Allowed(), tc.want, d)
			}
		})
	}
}

// Under 2008-10-17 (allowed in session policies) variables are plain text.
func TestVariablesNeedVersion2012(t *testing.T) {
	doc := `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"${aws:username}"}}}}`
	p, err := Parse(doc, KindSession)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		prefix string
		want   bool
	}{{"bob", false}, {"${aws:username}", true}} {
		d := Evaluate(&Request{Action: "s3:ListBucket", Resource: "*", Context: ctxMap{"aws:username": {"bob"}, "s3:prefix": {tc.prefix}}},
			&Set{Identity: []Attached{{Policy: p}}})
		if d.Allowed() != tc.want {
			t.Errorf("prefix %q: allowed %v, want %v", tc.prefix, d.Allowed(), tc.want)
		}
	}
}

func TestMissingContextValues(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}},
	 {"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"StringEquals":{"ec2:Region":"x"}}}]}`
	p, err := Parse(doc, KindIdentity)
	if err != nil {
		t.Fatal(err)
	}
	d := Evaluate(&Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/bob", Context: ctxMap{}},
		&Set{Identity: []Attached{{Policy: p}}})
	if d.Allowed() {
		t.Fatal("allowed without aws:username")
	}
	if got := d.MissingContextValues; len(got) != 1 || got[0] != "aws:username" {
		t.Fatalf("missing = %v", got)
	}
	d = Evaluate(&Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/bob", Context: ctxMap{"aws:username": {"bob"}}},
		&Set{Identity: []Attached{{Policy: p}}})
	if got := d.MissingContextValues; len(got) != 1 || got[0] != "aws:MultiFactorAuthPresent" {
		t.Fatalf("missing = %v", got)
	}
}

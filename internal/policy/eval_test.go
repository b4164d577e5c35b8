package policy

import (
	"fmt"
	"strings"
	"testing"
)

const (
	acctA   = "111111111111"
	acctB   = "222222222222"
	userBob = "arn:aws:iam::111111111111:user/bob"
)

func stmt(effect, action, resource string, extra ...string) string {
	s := `{"Effect":"` + effect + `",` + action + `,` + resource
	for _, e := range extra {
		s += "," + e
	}
	return s + "}"
}

func doc(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

func mustParse(t testing.TB, d string, k Kind) *Policy {
	t.Helper()
	p, err := Parse(d, k)
	if err != nil {
		t.Fatalf("Parse(%s): %v", d, err)
	}
	return p
}

var (
	allowAll = doc(stmt("Allow", `"Action":"*"`, `"Resource":"*"`))
	bob      = Principal{ARN: userBob, AccountID: acctA}
)

// TestActionsAndResources checks matching of a single identity policy.
func TestActionsAndResources(t *testing.T) {
	cases := []struct {
		name     string
		policy   string
		action   string
		resource string
		want     Result
	}{
		{"exact action", doc(stmt("Allow", `"Action":"iam:CreateUser"`, `"Resource":"*"`)), "iam:CreateUser", "*", Allowed},
		{"action case-insensitive", doc(stmt("Allow", `"Action":"IAM:createuser"`, `"Resource":"*"`)), "iam:CreateUser", "*", Allowed},
		{"request action case-insensitive", doc(stmt("Allow", `"Action":"iam:CreateUser"`, `"Resource":"*"`)), "IAM:CREATEUSER", "*", Allowed},
		{"action prefix wildcard", doc(stmt("Allow", `"Action":"iam:Get*"`, `"Resource":"*"`)), "iam:GetUser", "*", Allowed},
		{"action prefix wildcard miss", doc(stmt("Allow", `"Action":"iam:Get*"`, `"Resource":"*"`)), "iam:ListUsers", "*", ImplicitDeny},
		{"action question mark", doc(stmt("Allow", `"Action":"iam:?etUser"`, `"Resource":"*"`)), "iam:GetUser", "*", Allowed},
		{"action inner wildcard", doc(stmt("Allow", `"Action":"iam:*User*"`, `"Resource":"*"`)), "iam:ListUserTags", "*", Allowed},
		{"action service wildcard", doc(stmt("Allow", `"Action":"iam:*"`, `"Resource":"*"`)), "sts:GetCallerIdentity", "*", ImplicitDeny},
		{"action vendor wildcard", doc(stmt("Allow", `"Action":"*:List*"`, `"Resource":"*"`)), "iam:ListUsers", "*", Allowed},
		{"action list", doc(stmt("Allow", `"Action":["iam:GetUser","iam:ListUsers"]`, `"Resource":"*"`)), "iam:ListUsers", "*", Allowed},
		{"other action", doc(stmt("Allow", `"Action":"iam:GetUser"`, `"Resource":"*"`)), "iam:GetUsers", "*", ImplicitDeny},
		{"NotAction allow", doc(stmt("Allow", `"NotAction":"iam:*"`, `"Resource":"*"`)), "s3:GetObject", "*", Allowed},
		{"NotAction allow excluded", doc(stmt("Allow", `"NotAction":"iam:*"`, `"Resource":"*"`)), "iam:GetUser", "*", ImplicitDeny},
		{"NotAction deny", doc(stmt("Allow", `"Action":"*"`, `"Resource":"*"`), stmt("Deny", `"NotAction":["iam:Get*","iam:List*"]`, `"Resource":"*"`)), "iam:CreateUser", "*", ExplicitDeny},
		{"NotAction deny spares listed", doc(stmt("Allow", `"Action":"*"`, `"Resource":"*"`), stmt("Deny", `"NotAction":["iam:Get*","iam:List*"]`, `"Resource":"*"`)), "iam:ListUsers", "*", Allowed},
		{"NotAction deny case-insensitive", doc(stmt("Allow", `"Action":"*"`, `"Resource":"*"`), stmt("Deny", `"NotAction":"IAM:GET*"`, `"Resource":"*"`)), "iam:getuser", "*", Allowed},
		{"exact resource", doc(stmt("Allow", `"Action":"iam:GetUser"`, `"Resource":"arn:aws:iam::111111111111:user/alice"`)), "iam:GetUser", "arn:aws:iam::111111111111:user/alice", Allowed},
		{"resource case-sensitive", doc(stmt("Allow", `"Action":"iam:GetUser"`, `"Resource":"arn:aws:iam::111111111111:user/Alice"`)), "iam:GetUser", "arn:aws:iam::111111111111:user/alice", ImplicitDeny},
		{"resource wildcard name", doc(stmt("Allow", `"Action":"iam:GetUser"`, `"Resource":"arn:aws:iam::111111111111:user/*"`)), "iam:GetUser", "arn:aws:iam::111111111111:user/a/b/alice", Allowed},
		{"resource wildcard account", doc(stmt("Allow", `"Action":"iam:GetUser"`, `"Resource":"arn:aws:iam::*:user/alice"`)), "iam:GetUser", "arn:aws:iam::111111111111:user/alice", Allowed},
		{"resource wildcard service", doc(stmt("Allow", `"Action":"*"`, `"Resource":"arn:aws:*:*:111111111111:*"`)), "sqs:SendMessage", "arn:aws:sqs:us-east-1:111111111111:q", Allowed},
		{"resource wildcard partition", doc(stmt("Allow", `"Action":"*"`, `"Resource":"arn:*:iam::111111111111:user/alice"`)), "iam:GetUser", "arn:aws-cn:iam::111111111111:user/alice", Allowed},
		{"resource wildcard region miss", doc(stmt("Allow", `"Action":"*"`, `"Resource":"arn:aws:sqs:us-*:111111111111:q"`)), "sqs:SendMessage", "arn:aws:sqs:eu-west-1:111111111111:q", ImplicitDeny},
		{"resource question", doc(stmt("Allow", `"Action":"*"`, `"Resource":"arn:aws:iam::111111111111:user/al?ce"`)), "iam:GetUser", "arn:aws:iam::111111111111:user/alice", Allowed},
		{"resource star segment no colon crossing", doc(stmt("Allow", `"Action":"*"`, `"Resource":"arn:aws:iam::*:root"`)), "iam:GetUser", "arn:aws:iam::111111111111:user/root", ImplicitDeny},
		{"resource short pattern", doc(stmt("Allow", `"Action":"*"`, `"Resource":"arn:aws:iam::*"`)), "iam:GetUser", "arn:aws:iam::111111111111:user/x", Allowed},
		{"resource other account", doc(stmt("Allow", `"Action":"*"`, `"Resource":"arn:aws:iam::111111111111:*"`)), "iam:GetUser", "arn:aws:iam::222222222222:user/x", ImplicitDeny},
		{"resource star vs star request", doc(stmt("Allow", `"Action":"*"`, `"Resource":"*"`)), "iam:ListUsers", "*", Allowed},
		{"specific resource vs star request", doc(stmt("Allow", `"Action":"*"`, `"Resource":"arn:aws:iam::111111111111:user/x"`)), "iam:ListUsers", "*", ImplicitDeny},
		{"NotResource allow", doc(stmt("Allow", `"Action":"*"`, `"NotResource":"arn:aws:iam::111111111111:user/admin"`)), "iam:GetUser", "arn:aws:iam::111111111111:user/bob", Allowed},
		{"NotResource allow excluded", doc(stmt("Allow", `"Action":"*"`, `"NotResource":"arn:aws:iam::111111111111:user/admin"`)), "iam:GetUser", "arn:aws:iam::111111111111:user/admin", ImplicitDeny},
		{"NotResource deny", doc(stmt("Allow", `"Action":"*"`, `"Resource":"*"`), stmt("Deny", `"Action":"s3:*"`, `"NotResource":["arn:aws:s3:::ok","arn:aws:s3:::ok/*"]`)), "s3:GetObject", "arn:aws:s3:::other/x", ExplicitDeny},
		{"NotResource deny spares", doc(stmt("Allow", `"Action":"*"`, `"Resource":"*"`), stmt("Deny", `"Action":"s3:*"`, `"NotResource":["arn:aws:s3:::ok","arn:aws:s3:::ok/*"]`)), "s3:GetObject", "arn:aws:s3:::ok/x", Allowed},
		{"deny wins over allow", doc(stmt("Allow", `"Action":"iam:*"`, `"Resource":"*"`), stmt("Deny", `"Action":"iam:DeleteUser"`, `"Resource":"*"`)), "iam:DeleteUser", "arn:aws:iam::111111111111:user/x", ExplicitDeny},
		{"deny other action", doc(stmt("Allow", `"Action":"iam:*"`, `"Resource":"*"`), stmt("Deny", `"Action":"iam:DeleteUser"`, `"Resource":"*"`)), "iam:CreateUser", "arn:aws:iam::111111111111:user/x", Allowed},
		{"deny only", doc(stmt("Deny", `"Action":"iam:DeleteUser"`, `"Resource":"*"`)), "iam:CreateUser", "*", ImplicitDeny},
		{"resource variable", doc(stmt("Allow", `"Action":"iam:*AccessKey*"`, `"Resource":"arn:aws:iam::111111111111:user/${aws:username}"`)), "iam:CreateAccessKey", "arn:aws:iam::111111111111:user/bob", Allowed},
		{"resource variable other user", doc(stmt("Allow", `"Action":"iam:*AccessKey*"`, `"Resource":"arn:aws:iam::111111111111:user/${aws:username}"`)), "iam:CreateAccessKey", "arn:aws:iam::111111111111:user/alice", ImplicitDeny},
		{"resource variable with wildcard", doc(stmt("Allow", `"Action":"s3:*"`, `"Resource":"arn:aws:s3:::home/${aws:username}/*"`)), "s3:GetObject", "arn:aws:s3:::home/bob/a/b", Allowed},
		{"resource variable default", doc(stmt("Allow", `"Action":"s3:*"`, `"Resource":"arn:aws:s3:::home/${aws:userid, 'nobody'}"`)), "s3:GetObject", "arn:aws:s3:::home/nobody", Allowed},
		{"resource variable unresolved", doc(stmt("Allow", `"Action":"s3:*"`, `"Resource":"arn:aws:s3:::home/${aws:userid}"`)), "s3:GetObject", "arn:aws:s3:::home/", ImplicitDeny},
		{"resource variable principal tag", doc(stmt("Allow", `"Action":"s3:*"`, `"Resource":"arn:aws:s3:::team-${aws:PrincipalTag/team}/*"`)), "s3:GetObject", "arn:aws:s3:::team-red/x", Allowed},
		{"resource literal star variable", doc(stmt("Allow", `"Action":"s3:*"`, `"Resource":"arn:aws:s3:::b/${*}"`)), "s3:GetObject", "arn:aws:s3:::b/x", ImplicitDeny},
		{"resource literal star variable hit", doc(stmt("Allow", `"Action":"s3:*"`, `"Resource":"arn:aws:s3:::b/${*}"`)), "s3:GetObject", "arn:aws:s3:::b/*", Allowed},
		{"2008 resource variable literal", `{"Version":"2008-10-17","Statement":` + stmt("Allow", `"Action":"s3:*"`, `"Resource":"arn:aws:s3:::home/${aws:username}"`) + `}`, "s3:GetObject", "arn:aws:s3:::home/bob", ImplicitDeny},
		{"statement object not list", `{"Version":"2012-10-17","Statement":` + stmt("Allow", `"Action":"s3:*"`, `"Resource":"*"`) + `}`, "s3:GetObject", "*", Allowed},
		{"deny with condition not met", doc(stmt("Allow", `"Action":"*"`, `"Resource":"*"`), stmt("Deny", `"Action":"*"`, `"Resource":"*"`, `"Condition":{"BoolIfExists":{"aws:SecureTransport":"true"}}`)), "iam:GetUser", "*", Allowed},
		{"deny if no MFA", doc(stmt("Allow", `"Action":"*"`, `"Resource":"*"`), stmt("Deny", `"Action":"*"`, `"Resource":"*"`, `"Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`)), "iam:GetUser", "*", ExplicitDeny},
		{"deny with condition met", doc(stmt("Allow", `"Action":"*"`, `"Resource":"*"`), stmt("Deny", `"Action":"*"`, `"Resource":"*"`, `"Condition":{"Bool":{"aws:SecureTransport":"false"}}`)), "iam:GetUser", "*", ExplicitDeny},
	}
	ctx := ctxMap{"aws:username": {"bob"}, "aws:PrincipalTag/team": {"red"}, "aws:SecureTransport": {"false"}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Evaluated as stored: some patterns here are ones IAM no longer accepts in new documents.
			p, err := ParseStored(tc.policy, KindIdentity)
			if err != nil {
				t.Fatal(err)
			}
			d := Evaluate(&Request{Action: tc.action, Resource: tc.resource, Principal: bob, Context: ctx},
				&Set{Identity: []Attached{{Policy: p, ID: "p"}}})
			if d.Result != tc.want {
				t.Fatalf("result %v, want %v", d.Result, tc.want)
			}
		})
	}
}

// TestPolicySets checks how identity policies, boundaries, session and resource-based policies combine.
func TestPolicySets(t *testing.T) {
	const (
		roleARN    = "arn:aws:iam::111111111111:role/app"
		sessionARN = "arn:aws:sts::111111111111:assumed-role/app/s1"
		alice      = "arn:aws:iam::222222222222:user/alice"
		target     = "arn:aws:iam::111111111111:role/target"
	)
	roleSession := Principal{ARN: sessionARN, AccountID: acctA, RoleARN: roleARN}
	aliceB := Principal{ARN: alice, AccountID: acctB}
	root := Principal{ARN: "arn:aws:iam::111111111111:root", AccountID: acctA, IsRoot: true}
	trust := func(principal string) string {
		return doc(`{"Effect":"Allow","Principal":` + principal + `,"Action":"sts:AssumeRole"}`)
	}
	assume := doc(stmt("Allow", `"Action":"sts:AssumeRole"`, `"Resource":"`+target+`"`))
	iamOnly := doc(stmt("Allow", `"Action":"iam:*"`, `"Resource":"*"`))
	s3Only := doc(stmt("Allow", `"Action":"s3:*"`, `"Resource":"*"`))
	denyIAM := doc(stmt("Deny", `"Action":"iam:*"`, `"Resource":"*"`))

	cases := []struct {
		name      string
		principal Principal
		identity  []string
		boundary  string
		session   []string
		resource  string
		resKind   Kind
		resAcct   string
		action    string
		res       string
		want      Result
		reason    Reason
	}{
		{name: "no policies", principal: bob, action: "iam:GetUser", want: ImplicitDeny, reason: ReasonNoIdentityAllow},
		{name: "identity allows", principal: bob, identity: []string{iamOnly}, action: "iam:GetUser", want: Allowed},
		{name: "second policy allows", principal: bob, identity: []string{s3Only, iamOnly}, action: "iam:GetUser", want: Allowed},
		{name: "second policy denies", principal: bob, identity: []string{iamOnly, denyIAM}, action: "iam:GetUser", want: ExplicitDeny, reason: ReasonIdentityDeny},
		{name: "boundary allows", principal: bob, identity: []string{iamOnly}, boundary: allowAll, action: "iam:GetUser", want: Allowed},
		{name: "boundary cuts allow", principal: bob, identity: []string{allowAll}, boundary: s3Only, action: "iam:GetUser", want: ImplicitDeny, reason: ReasonNoBoundaryAllow},
		{name: "boundary alone grants nothing", principal: bob, boundary: allowAll, action: "iam:GetUser", want: ImplicitDeny, reason: ReasonNoIdentityAllow},
		{name: "boundary deny", principal: bob, identity: []string{allowAll}, boundary: doc(stmt("Allow", `"Action":"*"`, `"Resource":"*"`), stmt("Deny", `"Action":"iam:Delete*"`, `"Resource":"*"`)), action: "iam:DeleteUser", want: ExplicitDeny, reason: ReasonBoundaryDeny},
		{name: "session allows", principal: roleSession, identity: []string{allowAll}, session: []string{iamOnly}, action: "iam:GetUser", want: Allowed},
		{name: "session cuts allow", principal: roleSession, identity: []string{allowAll}, session: []string{s3Only}, action: "iam:GetUser", want: ImplicitDeny, reason: ReasonNoSessionAllow},
		{name: "any session policy allows", principal: roleSession, identity: []string{allowAll}, session: []string{s3Only, iamOnly}, action: "iam:GetUser", want: Allowed},
		{name: "session alone grants nothing", principal: roleSession, session: []string{allowAll}, action: "iam:GetUser", want: ImplicitDeny, reason: ReasonNoIdentityAllow},
		{name: "session deny", principal: roleSession, identity: []string{allowAll}, session: []string{allowAll, denyIAM}, action: "iam:GetUser", want: ExplicitDeny, reason: ReasonSessionDeny},
		{name: "boundary and session", principal: roleSession, identity: []string{allowAll}, boundary: iamOnly, session: []string{iamOnly}, action: "iam:GetUser", want: Allowed},
		{name: "boundary checked before session", principal: roleSession, identity: []string{allowAll}, boundary: s3Only, session: []string{s3Only}, action: "iam:GetUser", want: ImplicitDeny, reason: ReasonNoBoundaryAllow},
		{name: "identity deny beats session allow", principal: roleSession, identity: []string{allowAll, denyIAM}, session: []string{allowAll}, action: "iam:GetUser", want: ExplicitDeny, reason: ReasonIdentityDeny},
		{name: "root allowed without policies", principal: root, action: "iam:CreateUser", want: Allowed},
		{name: "root denied explicitly", principal: root, identity: []string{denyIAM}, action: "iam:CreateUser", want: ExplicitDeny, reason: ReasonIdentityDeny},

		// Role trust policies, same account.
		{name: "trust names user, no identity policy", principal: bob, resource: trust(`{"AWS":"` + userBob + `"}`), resKind: KindTrust, action: "sts:AssumeRole", res: target, want: Allowed},
		{name: "trust names user past boundary", principal: bob, boundary: s3Only, resource: trust(`{"AWS":"` + userBob + `"}`), resKind: KindTrust, action: "sts:AssumeRole", res: target, want: Allowed},
		{name: "trust names account, no identity policy", principal: bob, resource: trust(`{"AWS":"111111111111"}`), resKind: KindTrust, action: "sts:AssumeRole", res: target, want: ImplicitDeny, reason: ReasonNoIdentityAllow},
		{name: "trust names account root, identity allows", principal: bob, identity: []string{assume}, resource: trust(`{"AWS":"arn:aws:iam::111111111111:root"}`), resKind: KindTrust, action: "sts:AssumeRole", res: target, want: Allowed},
		{name: "trust names other user, identity allows", principal: bob, identity: []string{assume}, resource: trust(`{"AWS":"arn:aws:iam::111111111111:user/carol"}`), resKind: KindTrust, action: "sts:AssumeRole", res: target, want: Allowed},
		{name: "trust deny", principal: bob, identity: []string{assume}, resource: doc(`{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}`, `{"Effect":"Deny","Principal":{"AWS":"`+userBob+`"},"Action":"sts:AssumeRole"}`), resKind: KindTrust, action: "sts:AssumeRole", res: target, want: ExplicitDeny, reason: ReasonResourceDeny},
		{name: "trust names role, session subject to session policy", principal: roleSession, session: []string{s3Only}, resource: trust(`{"AWS":"` + roleARN + `"}`), resKind: KindTrust, action: "sts:AssumeRole", res: target, want: ImplicitDeny, reason: ReasonNoSessionAllow},
		{name: "trust names role, no identity policy needed", principal: roleSession, resource: trust(`{"AWS":"` + roleARN + `"}`), resKind: KindTrust, action: "sts:AssumeRole", res: target, want: Allowed},
		{name: "trust names session exactly past session policy", principal: roleSession, session: []string{s3Only}, resource: trust(`{"AWS":"` + sessionARN + `"}`), resKind: KindTrust, action: "sts:AssumeRole", res: target, want: Allowed},
		{name: "trust star", principal: bob, resource: trust(`"*"`), resKind: KindTrust, action: "sts:AssumeRole", res: target, want: Allowed},
		{name: "trust aws star", principal: bob, resource: trust(`{"AWS":"*"}`), resKind: KindTrust, action: "sts:AssumeRole", res: target, want: Allowed},
		{name: "trust other action", principal: bob, resource: trust(`{"AWS":"` + userBob + `"}`), resKind: KindTrust, action: "sts:TagSession", res: target, want: ImplicitDeny, reason: ReasonNoIdentityAllow},
		{name: "trust service", principal: Principal{Service: "ec2.amazonaws.com"}, resource: trust(`{"Service":"ec2.amazonaws.com"}`), resKind: KindTrust, action: "sts:AssumeRole", res: target, want: Allowed},
		{name: "trust service other", principal: Principal{Service: "lambda.amazonaws.com"}, resource: trust(`{"Service":["ec2.amazonaws.com"]}`), resKind: KindTrust, action: "sts:AssumeRole", res: target, want: ImplicitDeny, reason: ReasonNoIdentityAllow},
		{name: "trust federated with condition", principal: Principal{Federated: "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"},
			resource: doc(`{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:org/*"}}}`),
			resKind:  KindTrust, action: "sts:AssumeRoleWithWebIdentity", res: target, want: Allowed},

		// Cross-account.
		{name: "cross-account trust names account, identity allows", principal: aliceB, identity: []string{assume}, resource: trust(`{"AWS":"222222222222"}`), resKind: KindTrust, resAcct: acctA, action: "sts:AssumeRole", res: target, want: Allowed},
		{name: "cross-account trust names user, identity allows", principal: aliceB, identity: []string{assume}, resource: trust(`{"AWS":"` + alice + `"}`), resKind: KindTrust, resAcct: acctA, action: "sts:AssumeRole", res: target, want: Allowed},
		{name: "cross-account trust allows, no identity policy", principal: aliceB, resource: trust(`{"AWS":"` + alice + `"}`), resKind: KindTrust, resAcct: acctA, action: "sts:AssumeRole", res: target, want: ImplicitDeny, reason: ReasonNoIdentityAllow},
		{name: "cross-account identity allows, trust names other account", principal: aliceB, identity: []string{assume}, resource: trust(`{"AWS":"333333333333"}`), resKind: KindTrust, resAcct: acctA, action: "sts:AssumeRole", res: target, want: ImplicitDeny, reason: ReasonNoResourceAllow},
		{name: "cross-account identity allows, no resource policy", principal: aliceB, identity: []string{allowAll}, resAcct: acctA, action: "iam:GetUser", res: "arn:aws:iam::111111111111:user/x", want: ImplicitDeny, reason: ReasonNoResourceAllow},
		{name: "cross-account boundary cuts", principal: aliceB, identity: []string{assume}, boundary: s3Only, resource: trust(`{"AWS":"` + alice + `"}`), resKind: KindTrust, resAcct: acctA, action: "sts:AssumeRole", res: target, want: ImplicitDeny, reason: ReasonNoBoundaryAllow},
		{name: "same account id is not cross", principal: bob, identity: []string{assume}, resAcct: acctA, action: "sts:AssumeRole", res: target, want: Allowed},

		// NotPrincipal.
		{name: "NotPrincipal deny others", principal: bob, identity: []string{allowAll}, resource: doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:user/admin"},"Action":"s3:*","Resource":"*"}`), resKind: KindResource, action: "s3:GetObject", res: "arn:aws:s3:::b/x", want: ExplicitDeny, reason: ReasonResourceDeny},
		{name: "NotPrincipal spares named", principal: bob, identity: []string{allowAll}, resource: doc(`{"Effect":"Deny","NotPrincipal":{"AWS":["` + userBob + `","111111111111"]},"Action":"s3:*","Resource":"*"}`), resKind: KindResource, action: "s3:GetObject", res: "arn:aws:s3:::b/x", want: Allowed},
		{name: "NotPrincipal allow", principal: bob, resource: doc(`{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:user/eve"},"Action":"s3:*","Resource":"*"}`), resKind: KindResource, action: "s3:GetObject", res: "arn:aws:s3:::b/x", want: Allowed},

		// Resource policies with Resource elements.
		{name: "resource policy resource mismatch", principal: bob, resource: doc(`{"Effect":"Allow","Principal":{"AWS":"` + userBob + `"},"Action":"s3:*","Resource":"arn:aws:s3:::other/*"}`), resKind: KindResource, action: "s3:GetObject", res: "arn:aws:s3:::b/x", want: ImplicitDeny, reason: ReasonNoIdentityAllow},
		{name: "resource policy account principal same account needs identity", principal: bob, resource: doc(`{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"s3:*","Resource":"*"}`), resKind: KindResource, action: "s3:GetObject", res: "arn:aws:s3:::b/x", want: ImplicitDeny, reason: ReasonNoIdentityAllow},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			set := &Set{ResourceAccount: tc.resAcct}
			for i, d := range tc.identity {
				set.Identity = append(set.Identity, Attached{Policy: mustParse(t, d, KindIdentity), ID: string(rune('a' + i))})
			}
			if tc.boundary != "" {
				set.Boundary = &Attached{Policy: mustParse(t, tc.boundary, KindBoundary), ID: "boundary"}
			}
			for _, d := range tc.session {
				set.Session = append(set.Session, Attached{Policy: mustParse(t, d, KindSession), ID: "session"})
			}
			if tc.resource != "" {
				set.Resource = &Attached{Policy: mustParse(t, tc.resource, tc.resKind), ID: "resource", Source: SourceResource}
			}
			resARN := tc.res
			if resARN == "" {
				resARN = "*"
			}
			d := Evaluate(&Request{Action: tc.action, Resource: resARN, Principal: tc.principal,
				Context: ctxMap{"token.actions.githubusercontent.com:sub": {"repo:org/app:ref:main"}}}, set)
			if d.Result != tc.want || d.Reason != tc.reason {
				t.Fatalf("got %v (%v), want %v (%v)", d.Result, d.Reason, tc.want, tc.reason)
			}
		})
	}
}

func TestMatchedStatements(t *testing.T) {
	p := mustParse(t, doc(
		`{"Sid":"A","Effect":"Allow","Action":"iam:*","Resource":"*"}`,
		`{"Sid":"B","Effect":"Allow","Action":"s3:*","Resource":"*"}`,
		`{"Sid":"C","Effect":"Deny","Action":"iam:Delete*","Resource":"*"}`), KindIdentity)
	set := &Set{Identity: []Attached{{Policy: p, ID: "pol", ARN: "arn:aws:iam::111111111111:policy/pol", Source: SourceUserManaged}}}
	if d := Evaluate(&Request{Action: "iam:DeleteUser", Resource: "*", Principal: bob}, set); d.Matched != nil {
		t.Fatalf("matched recorded without MaxMatched: %+v", d.Matched)
	}
	d := Evaluate(&Request{Action: "iam:DeleteUser", Resource: "*", Principal: bob, MaxMatched: 10}, set)
	if d.Result != ExplicitDeny || len(d.Matched) != 2 {
		t.Fatalf("decision %+v", d)
	}
	if m := d.Matched[1]; m.Sid != "C" || m.Index != 2 || m.Effect != Deny || m.PolicyID != "pol" || m.Source != SourceUserManaged || m.Start.Line != 1 {
		t.Fatalf("matched %+v", m)
	}
	if d.Denying == nil || d.Denying.ID != "pol" {
		t.Fatalf("denying %+v", d.Denying)
	}
}

// MaxMatched bounds the statements recorded per effect, whatever the number that match; the decision
// still weighs every statement.
func TestMatchedStatementsBounded(t *testing.T) {
	policyOf := func(n int) *Policy {
		var stmts []string
		for i := range n {
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"A%d","Effect":"Allow","Action":"*","Resource":"*"}`, i))
		}
		for i := range n {
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"D%d","Effect":"Deny","Action":"iam:*","Resource":"*"}`, i))
		}
		return mustParse(t, doc(stmts...), KindIdentity)
	}
	eval := func(p *Policy) Decision {
		return Evaluate(&Request{Action: "iam:GetUser", Resource: "*", Principal: bob, MaxMatched: 3},
			&Set{Identity: []Attached{{Policy: p, ID: "pol"}}})
	}
	d := eval(policyOf(50))
	var got []string
	for _, m := range d.Matched {
		got = append(got, m.Sid)
	}
	if d.Result != ExplicitDeny || strings.Join(got, ",") != "A0,A1,A2,D0,D1,D2" {
		t.Fatalf("%v matched %v", d.Result, got)
	}
	// What one evaluation allocates does not grow with the number of statements that match.
	small, large := policyOf(10), policyOf(1000)
	if a, b := testing.AllocsPerRun(20, func() { eval(small) }), testing.AllocsPerRun(20, func() { eval(large) }); b > a {
		t.Errorf("%v allocations per evaluation with 2000 matching statements, %v with 20", b, a)
	}
}

// Cost counts statements, patterns, principals and condition values, wildcard patterns by their parts
// times the length of the value they are matched against.
func TestPolicyCost(t *testing.T) {
	cases := []struct {
		doc       string
		kind      Kind
		size, c10 int // Cost(0), Cost(10)
	}{
		{allowAll, KindIdentity, 3, 3},
		// Elements: statement 1, actions s3:GetObject and s3:Get* 2, resource arn:aws:s3:::b/k 1, the five
		// literal components of arn:aws:s3:::b/*x 5, condition values 2. Wildcard parts: s3:*Get* 4, b/*x 3.
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:Get*","s3:*Get*"],` +
			`"Resource":["arn:aws:s3:::b/k","arn:aws:s3:::b/*x"],"Condition":{"StringEquals":{"aws:username":["a","b"]}}}]}`, KindIdentity, 11 + 7, 11 + 7*11},
		// Statement 1, action 1, principals 2.
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:role/r"]},"Action":"sts:AssumeRole"}}`, KindTrust, 4, 4},
		// A StringLike value a*b: 3 parts.
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"s3:prefix":"a*b"}}}}`, KindIdentity, 3 + 3, 3 + 33},
	}
	for _, c := range cases {
		p := mustParse(t, c.doc, c.kind)
		if got, got10 := p.Cost(0), p.Cost(10); got != c.size || got10 != c.c10 {
			t.Errorf("%s: cost %d/%d, want %d/%d", c.doc, got, got10, c.size, c.c10)
		}
	}
}

// Missing context keys are reported once each, case-insensitively, however many there are.
func TestMissingContextValuesMany(t *testing.T) {
	var stmts []string
	for i := range 40 {
		for _, k := range []string{"aws:K%d", "AWS:k%d"} {
			stmts = append(stmts, fmt.Sprintf(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"`+k+`":"v"}}}`, i))
		}
	}
	p := mustParse(t, doc(stmts...), KindIdentity)
	d := Evaluate(&Request{Action: "s3:GetObject", Resource: "*", Principal: bob}, &Set{Identity: []Attached{{Policy: p}}})
	if len(d.MissingContextValues) != 40 || d.MissingContextValues[0] != "aws:K0" || d.MissingContextValues[39] != "aws:K39" {
		t.Fatalf("missing %v", d.MissingContextValues)
	}
}

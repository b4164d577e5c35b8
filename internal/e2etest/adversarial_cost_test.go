package e2etest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// Limits of the policy simulator the server must keep (internal/service/iam/limits.go).
const (
	simMaxMatchedPerResult = 50
	simMaxPageWork         = 20_000_000
	simMaxPageEntries      = 10_000
)

// simulationWork is the server's count of evaluated simulation scenarios and their work units.
type simulationWork interface {
	SimulationWork() (scenarios, work int64)
}

// statements is a policy document of n copies of a statement in which %d is replaced by its index.
func statements(n int, tmpl string) string {
	b := make([]string, n)
	for i := range b {
		b[i] = strings.ReplaceAll(tmpl, "%d", fmt.Sprint(i))
	}
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(b, ",") + `]}`
}

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

// A user holding only the AWS managed policy IAMReadOnlyAccess sends SimulateCustomPolicy about 460 KB of
// statements that all match, with 100 actions × 100 resources: the server evaluates only a bounded page
// (fewer results than MaxItems, with a marker), lists a bounded number of matched statements per result,
// and refuses simulations beyond its limits with InvalidInput; a simulation within the limits still
// answers correctly page by page.
func TestAdversarialSimulationCostIsBounded(t *testing.T) {
	s := Start(t, Options{})
	ctx := context.Background()
	root := s.IAM(RootCreds())
	reader := s.IAM(newUser(t, s, RootCreds(), "reader"))
	_, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("reader"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")})
	ok(t, "AttachUserPolicy", err)

	t.Run("MatchedStatementsPerResult", func(t *testing.T) {
		doc := statements(2000, `{"Sid":"S%d","Effect":"Allow","Action":"*","Resource":"*"}`)
		out, err := reader.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{doc},
			ActionNames: numbered("s3:GetObject", 5), ResourceArns: []string{"arn:aws:s3:::b/k"}})
		ok(t, "SimulateCustomPolicy", err)
		if len(out.EvaluationResults) != 5 {
			t.Fatalf("%d results", len(out.EvaluationResults))
		}
		for _, r := range out.EvaluationResults {
			if r.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed || len(r.MatchedStatements) != simMaxMatchedPerResult ||
				len(r.ResourceSpecificResults) != 1 || len(r.ResourceSpecificResults[0].MatchedStatements) != simMaxMatchedPerResult {
				t.Fatalf("%s: %s with %d matched statements", aws.ToString(r.EvalActionName), r.EvalDecision, len(r.MatchedStatements))
			}
			// The first statements of the document, in order.
			if st := r.MatchedStatements[1]; aws.ToString(st.SourcePolicyId) != "PolicyInputList.1" || st.SourcePolicyType != "none" ||
				st.StartPosition.Column != 1+int32(len(`{"Version":"2012-10-17","Statement":[{"Sid":"S0","Effect":"Allow","Action":"*","Resource":"*"},`)) {
				t.Fatalf("second matched statement %+v %+v", st, st.StartPosition)
			}
		}
	})

	t.Run("HostileRequestGetsABoundedPage", func(t *testing.T) {
		counter, isCounter := any(s.App.IAM).(simulationWork)
		if !isCounter {
			t.Fatal("the IAM service does not count simulation work")
		}
		doc := statements(2500, `{"Effect":"Allow","Action":"*","Resource":"*"}`)
		in := &iam.SimulateCustomPolicyInput{PolicyInputList: []string{doc, doc},
			ActionNames: numbered("s3:GetObject", 100), ResourceArns: numbered("arn:aws:s3:::bucket/object", 100),
			MaxItems: aws.Int32(1000)}
		if n := 2 * len(doc); n < 220_000 {
			t.Fatalf("hostile documents of %d bytes", n)
		}
		scen0, work0 := counter.SimulationWork()
		out, err := reader.SimulateCustomPolicy(ctx, in)
		ok(t, "hostile SimulateCustomPolicy", err)
		scen1, work1 := counter.SimulationWork()
		n := len(out.EvaluationResults)
		if n == 0 || n >= 1000 || !out.IsTruncated || out.Marker == nil {
			t.Fatalf("%d results, truncated %v: want a page cut short with a marker", n, out.IsTruncated)
		}
		if scen1-scen0 != int64(n) || work1-work0 > simMaxPageWork {
			t.Fatalf("%d results, but %d scenarios and %d work units evaluated", n, scen1-scen0, work1-work0)
		}
		entries := 0
		for _, r := range out.EvaluationResults {
			if len(r.MatchedStatements) > simMaxMatchedPerResult {
				t.Fatalf("%d matched statements in a result", len(r.MatchedStatements))
			}
			entries += len(r.MatchedStatements) + len(r.MissingContextValues)
		}
		if entries > simMaxPageEntries {
			t.Fatalf("%d matched statements and missing keys in a page", entries)
		}
		// The marker resumes where the page stopped, again within the budget.
		in.Marker = out.Marker
		out2, err := reader.SimulateCustomPolicy(ctx, in)
		ok(t, "second page", err)
		scen2, work2 := counter.SimulationWork()
		if len(out2.EvaluationResults) == 0 || scen2-scen1 != int64(len(out2.EvaluationResults)) || work2-work1 > simMaxPageWork {
			t.Fatalf("second page: %d results, %d scenarios and %d work units", len(out2.EvaluationResults), scen2-scen1, work2-work1)
		}
		first := out2.EvaluationResults[0]
		if want := fmt.Sprintf("s3:GetObject%d", n/100); aws.ToString(first.EvalActionName) != want ||
			aws.ToString(first.EvalResourceName) != fmt.Sprintf("arn:aws:s3:::bucket/object%d", n%100) {
			t.Fatalf("second page starts at %s %s, want scenario %d", aws.ToString(first.EvalActionName), aws.ToString(first.EvalResourceName), n)
		}
	})

	t.Run("BeyondTheLimitsIsInvalidInput", func(t *testing.T) {
		vals := numbered("v", 1001)
		_, err := reader.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
			PolicyInputList: []string{docAllow("*", "*")}, ActionNames: []string{"s3:GetObject"},
			ContextEntries: []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:TagKeys"), ContextKeyValues: vals,
				ContextKeyType: iamtypes.ContextKeyTypeEnumStringList}}})
		wantError(t, "1001 context values", err, "InvalidInput", 400, "A simulation can have at most 1000 context key values.")
		_, err = reader.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
			PolicyInputList: []string{docAllow("*", "*")}, ActionNames: numbered("s3:GetObject", 101), ResourceArns: numbered("arn:aws:s3:::b", 100)})
		wantError(t, "10100 scenarios", err, "InvalidInput", 400, "A simulation can evaluate at most 10000 action and resource combinations.")
		glob := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::*` + strings.Repeat("?a", 5000) + `"}]}`
		_, err = reader.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{glob},
			ActionNames: []string{"s3:GetObject"}, ResourceArns: []string{"arn:aws:s3:::" + strings.Repeat("a", 2000)}})
		wantError(t, "wildcards against a long resource", err, "InvalidInput", 400, "")
	})

	t.Run("WithinTheLimitsPageByPage", func(t *testing.T) {
		doc := `{"Version":"2012-10-17","Statement":[` +
			`{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b1*"},` +
			`{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b12"}]}`
		p := iam.NewSimulateCustomPolicyPaginator(reader, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{doc},
			ActionNames: []string{"s3:GetObject", "s3:PutObject", "s3:GetBucketAcl"}, ResourceArns: numbered("arn:aws:s3:::b", 20),
			MaxItems: aws.Int32(7)})
		var got []string
		pages := 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			ok(t, "page", err)
			pages++
			for _, r := range out.EvaluationResults {
				got = append(got, aws.ToString(r.EvalActionName)+" "+aws.ToString(r.EvalResourceName)+" "+string(r.EvalDecision))
			}
		}
		if len(got) != 60 || pages != 9 {
			t.Fatalf("%d results in %d pages", len(got), pages)
		}
		for i, line := range got {
			action := []string{"s3:GetObject", "s3:PutObject", "s3:GetBucketAcl"}[i/20]
			res := fmt.Sprintf("arn:aws:s3:::b%d", i%20)
			want := "implicitDeny"
			switch {
			case action == "s3:GetObject" && i%20 == 12:
				want = "explicitDeny"
			case action != "s3:PutObject" && strings.HasPrefix(res, "arn:aws:s3:::b1"):
				want = "allowed"
			}
			if line != action+" "+res+" "+want {
				t.Errorf("result %d: %s, want %s %s %s", i, line, action, res, want)
			}
		}
	})
}

// Many concurrent GenerateCredentialReport calls from a read-only user build the account's report once:
// exactly one answers STARTED, the others INPROGRESS or COMPLETE, and the report lists every user.
func TestAdversarialCredentialReportBuiltOnce(t *testing.T) {
	s := Start(t, Options{})
	ctx := context.Background()
	root := s.IAM(RootCreds())
	for i := range 50 {
		_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("u%02d", i))})
		ok(t, "CreateUser", err)
	}
	reader := s.IAM(newUser(t, s, RootCreds(), "reader"))
	_, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("reader"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")})
	ok(t, "AttachUserPolicy", err)

	const callers = 20
	states := make(chan iamtypes.ReportStateType, callers)
	start := make(chan struct{})
	for range callers {
		go func() {
			<-start
			out, err := reader.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
			if err != nil {
				t.Error(err)
				states <- ""
				return
			}
			states <- out.State
		}()
	}
	close(start)
	count := map[iamtypes.ReportStateType]int{}
	for range callers {
		count[<-states]++
	}
	if count[iamtypes.ReportStateTypeStarted] != 1 || count[iamtypes.ReportStateTypeStarted]+count[iamtypes.ReportStateTypeInprogress]+count[iamtypes.ReportStateTypeComplete] != callers {
		t.Fatalf("states %v: want one STARTED", count)
	}
	// Every call has returned, so the one that built the report has stored it.
	rep, err := reader.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	ok(t, "GetCredentialReport", err)
	if lines := strings.Count(string(rep.Content), "\n"); lines != 1+1+51 {
		t.Fatalf("report of %d lines", lines)
	}
}

// IAM does not count whitespace against policy size quotas, so inline policies may hold documents of up
// to 131072 characters, mostly blanks. GetAccountAuthorizationDetails, which a read-only user may call,
// ends a page once it holds 4 MiB of documents (and before the next owner's documents), with a marker:
// each page holds a bounded amount, and following the markers gives every role and policy once.
func TestAdversarialAuthorizationDetailsPagesBounded(t *testing.T) {
	const (
		pageBytes = 4 << 20 // internal/service/iam/limits.go: authDetailsPageBytes
		roles     = 20
		perRole   = 3
		padding   = 125_000
	)
	s := Start(t, Options{})
	ctx := context.Background()
	root := s.IAM(RootCreds())
	reader := s.IAM(newUser(t, s, RootCreds(), "reader"))
	_, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("reader"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")})
	ok(t, "AttachUserPolicy", err)
	doc := `{` + strings.Repeat(" ", padding) + `"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	for i := range roles {
		name := fmt.Sprintf("bloated%02d", i)
		_, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
		ok(t, "CreateRole", err)
		for j := range perRole {
			_, err := root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(fmt.Sprint("p", j)), PolicyDocument: aws.String(doc)})
			ok(t, "PutRolePolicy", err)
		}
	}

	in := &iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{iamtypes.EntityTypeRole}, MaxItems: aws.Int32(1000)}
	var got []string
	pages := 0
	for {
		out, err := reader.GetAccountAuthorizationDetails(ctx, in)
		ok(t, "GetAccountAuthorizationDetails", err)
		pages++
		bytes := 0
		for _, r := range out.RoleDetailList {
			got = append(got, aws.ToString(r.RoleName))
			if len(r.RolePolicyList) != perRole {
				t.Fatalf("%s: %d inline policies", aws.ToString(r.RoleName), len(r.RolePolicyList))
			}
			for _, p := range r.RolePolicyList {
				bytes += len(decoded(t, p.PolicyDocument))
			}
		}
		if len(out.RoleDetailList) == 0 || bytes > pageBytes+perRole*len(doc) {
			t.Fatalf("page %d: %d roles holding %d bytes of documents", pages, len(out.RoleDetailList), bytes)
		}
		if !out.IsTruncated {
			break
		}
		in.Marker = out.Marker
	}
	if len(got) != roles || pages < 2 || got[0] != "bloated00" || got[roles-1] != fmt.Sprintf("bloated%02d", roles-1) {
		t.Fatalf("%d roles in %d pages: %v", len(got), pages, got)
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("roles out of order or repeated: %v", got)
		}
	}
}

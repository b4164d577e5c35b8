package policy

import (
	"testing"
)

// TestResolvedPrincipals checks that an ARN resolved to a unique ID when its policy was saved names only
// the principal with that ID: a user or role deleted and created again under the same name is not named.
func TestResolvedPrincipals(t *testing.T) {
	const (
		carol      = "arn:aws:iam::111111111111:user/carol"
		app        = "arn:aws:iam::111111111111:role/app"
		session    = "arn:aws:sts::111111111111:assumed-role/app/s1"
		carolID    = "AIDAAAAAAAAAAAAAAAAA"
		newCarolID = "AIDABBBBBBBBBBBBBBBB"
		appID      = "AROAAAAAAAAAAAAAAAAA"
		newAppID   = "AROABBBBBBBBBBBBBBBB"
		target     = "arn:aws:iam::111111111111:role/target"
	)
	trust := mustParse(t, doc(`{"Effect":"Allow","Principal":{"AWS":["`+carol+`","`+app+`"]},"Action":"sts:AssumeRole"}`), KindTrust)
	resolved := map[string]string{carol: carolID, app: appID}
	cases := []struct {
		name      string
		principal Principal
		resolved  map[string]string
		want      Result
	}{
		{"user with the saved ID", Principal{ARN: carol, AccountID: acctA, ID: carolID}, resolved, Allowed},
		{"namesake user", Principal{ARN: carol, AccountID: acctA, ID: newCarolID}, resolved, ImplicitDeny},
		{"user without an ID", Principal{ARN: carol, AccountID: acctA}, resolved, ImplicitDeny},
		{"unresolved policy compares names", Principal{ARN: carol, AccountID: acctA, ID: newCarolID}, nil, Allowed},
		// A principal already gone when the policy was resolved matches nobody.
		{"resolved to nobody", Principal{ARN: carol, AccountID: acctA, ID: newCarolID}, map[string]string{carol: ""}, ImplicitDeny},
		{"resolved to nobody, caller without ID", Principal{ARN: carol, AccountID: acctA}, map[string]string{carol: ""}, ImplicitDeny},
		{"role session with the saved ID", Principal{ARN: session, AccountID: acctA, RoleARN: app, ID: appID}, resolved, Allowed},
		{"namesake role session", Principal{ARN: session, AccountID: acctA, RoleARN: app, ID: newAppID}, resolved, ImplicitDeny},
		// A role's ID does not make its session the user the policy names, nor the reverse.
		{"role session with a user's ID", Principal{ARN: session, AccountID: acctA, RoleARN: app, ID: carolID}, resolved, ImplicitDeny},
		{"user with a role's ID", Principal{ARN: carol, AccountID: acctA, ID: appID}, resolved, ImplicitDeny},
		// A renamed user keeps its ID, and with it the trust of a policy that named it.
		{"renamed user", Principal{ARN: "arn:aws:iam::111111111111:user/carol2", AccountID: acctA, ID: carolID}, resolved, Allowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			set := &Set{Resource: &Attached{Policy: trust, ID: "trust", Source: SourceResource, PrincipalIDs: tc.resolved}}
			d := Evaluate(&Request{Action: "sts:AssumeRole", Resource: target, Principal: tc.principal}, set)
			if d.Result != tc.want {
				t.Fatalf("got %v (%v), want %v", d.Result, d.Reason, tc.want)
			}
		})
	}

	// NotPrincipal: a Deny sparing a resolved user spares only that user, not a namesake.
	deny := mustParse(t, doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"`+carol+`"},"Action":"s3:*","Resource":"*"}`), KindResource)
	allow := mustParse(t, allowAll, KindIdentity)
	for id, want := range map[string]Result{carolID: Allowed, newCarolID: ExplicitDeny} {
		set := &Set{Identity: []Attached{{Policy: allow}}, Resource: &Attached{Policy: deny, PrincipalIDs: resolved}}
		d := Evaluate(&Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Principal: Principal{ARN: carol, AccountID: acctA, ID: id}}, set)
		if d.Result != want {
			t.Errorf("NotPrincipal, caller ID %s: got %v, want %v", id, d.Result, want)
		}
	}
}

func TestReplacePrincipals(t *testing.T) {
	const carol = "arn:aws:iam::111111111111:user/carol"
	cases := []struct {
		name, doc, want string
	}{
		{"string value",
			`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"` + carol + `"},"Action":"sts:AssumeRole"}}`,
			`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"AIDAAAAAAAAAAAAAAAAA"},"Action":"sts:AssumeRole"}}`},
		{"list, spacing kept, other values kept",
			"{\n  \"Statement\": [ { \"Effect\": \"Allow\",\n    \"Principal\": { \"AWS\": [ \"111111111111\", \"" + carol + "\" ], \"Service\": \"" + carol + "\" },\n    \"Action\": \"sts:AssumeRole\" } ]\n}",
			"{\n  \"Statement\": [ { \"Effect\": \"Allow\",\n    \"Principal\": { \"AWS\": [ \"111111111111\", \"AIDAAAAAAAAAAAAAAAAA\" ], \"Service\": \"" + carol + "\" },\n    \"Action\": \"sts:AssumeRole\" } ]\n}"},
		{"escaped ARN in the source",
			`{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:user\/carol"},"Action":"*","Resource":"*"}]}`,
			`{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"AIDAAAAAAAAAAAAAAAAA"},"Action":"*","Resource":"*"}]}`},
		{"conditions are not principals",
			`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole","Condition":{"ArnEquals":{"aws:PrincipalArn":"` + carol + `"}}}]}`,
			`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole","Condition":{"ArnEquals":{"aws:PrincipalArn":"` + carol + `"}}}]}`},
		{"not JSON", `{"Statement":`, `{"Statement":`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ReplacePrincipals(tc.doc, map[string]string{carol: "AIDAAAAAAAAAAAAAAAAA"})
			if got != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
	if d := `{"Statement":{"Principal":{"AWS":"x"}}}`; ReplacePrincipals(d, nil) != d {
		t.Fatal("nothing to replace changed the document")
	}
}

// FuzzReplacePrincipals checks that rewriting principals never panics and always leaves valid JSON.
func FuzzReplacePrincipals(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/carol"},"Action":"sts:AssumeRole"}}`, "arn:aws:iam::111111111111:user/carol", "arn:aws:iam::111111111111:user/x/carol")
	f.Add(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":["a","b"]},"Action":"sts:AssumeRole"}]}`, "b", "\u2028\"")
	f.Add(`{"Statement":[1,{"NotPrincipal":{"AWS":[1,"a"]}}]}`, "a", "b")
	f.Fuzz(func(t *testing.T, doc, from, to string) {
		out := ReplacePrincipals(doc, map[string]string{from: to})
		if out == doc {
			return
		}
		if _, err := parseJSON(out); err != nil {
			t.Fatalf("rewriting %q gave invalid JSON %q", doc, out)
		}
	})
}

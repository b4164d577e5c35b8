package iam

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/iamd/iamd/internal/api/iamapi"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/storage"
)

func TestOIDCProviderName(t *testing.T) {
	ok := map[string]string{
		"https://token.actions.githubusercontent.com":   "token.actions.githubusercontent.com",
		"https://idp.example.com/realms/Main":           "idp.example.com/realms/Main",
		"https://idp.example.com/":                      "idp.example.com/",
		"https://dex.internal:5556/dex":                 "dex.internal:5556/dex",
		"https://10.0.0.7:8443":                         "10.0.0.7:8443",
		"https://oidc.eks.eu-west-1.amazonaws.com/id/A": "oidc.eks.eu-west-1.amazonaws.com/id/A",
		"https://h.example/a%2Fb/~x_y.z-w":              "h.example/a%2Fb/~x_y.z-w",
	}
	for url, want := range ok {
		got, err := OIDCProviderName(url)
		if err != nil || got != want {
			t.Errorf("OIDCProviderName(%q) = %q, %v; want %q", url, got, err, want)
		}
	}
	const (
		noURL    = "ValidationError Invalid Open ID Connect Provider URL"
		notHTTPS = "InvalidInput Invalid Open ID Connect Provider URL. The URL must begin with https://."
		bad      = "InvalidInput Invalid Open ID Connect Provider URL."
	)
	refused := map[string]string{
		"example.com":                                 noURL,
		"https://":                                    noURL,
		"https:///path":                               noURL,
		"http://example.com":                          notHTTPS,
		"HTTPS://example.com":                         notHTTPS,
		"ftp://example.com":                           notHTTPS,
		"https://user:pw@example.com":                 bad,
		"https://example.com?x=1":                     bad,
		"https://example.com?":                        bad,
		"https://example.com#frag":                    bad,
		"https://exa_mple.com":                        bad,
		"https://-example.com":                        bad,
		"https://example-.com":                        bad,
		"https://example..com":                        bad,
		"https://[::1]:8443":                          bad,
		"https://example.com:":                        bad,
		"https://example.com:0":                       bad,
		"https://example.com:08443":                   bad,
		"https://example.com:65536":                   bad,
		"https://example.com:x":                       bad,
		"https://example.com/a*b":                     bad,
		"https://example.com/a b":                     bad,
		"https://example.com/%zz":                     bad,
		"https://example.com/%4":                      bad,
		"https://" + strings.Repeat("a", 64) + ".com": bad,
	}
	for url, want := range refused {
		_, err := OIDCProviderName(url)
		var e protocol.APIError
		if err == nil || !errorAs(err, &e) || e.ErrorCode()+" "+e.ErrorMessage() != want {
			t.Errorf("OIDCProviderName(%q) = %v; want %s", url, err, want)
		}
	}
}

func errorAs(err error, e *protocol.APIError) bool {
	v, ok := err.(protocol.APIError)
	if ok {
		*e = v
	}
	return ok
}

// FuzzOIDCProviderName: any input is refused with an API error or accepted as a name that is the URL
// without its scheme, holds no query, fragment or user information, and names the same provider again.
func FuzzOIDCProviderName(f *testing.F) {
	for _, s := range []string{"https://example.com", "https://h:1/p/", "http://x", "x", "https://a@b", "https://[::1]", "https://h/%41"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, url string) {
		name, err := OIDCProviderName(url)
		if err != nil {
			var e protocol.APIError
			if !errorAs(err, &e) || e.HTTPStatus() != 400 {
				t.Fatalf("%q: %v is not a 400 API error", url, err)
			}
			return
		}
		if "https://"+name != url || strings.ContainsAny(name, "?#@* ") || name == "" || name[0] == '/' {
			t.Fatalf("%q: accepted as %q", url, name)
		}
		if again, err := OIDCProviderName("https://" + name); err != nil || again != name {
			t.Fatalf("%q: name %q is not stable (%q, %v)", url, name, again, err)
		}
	})
}

func oidcARN(name string) string { return "arn:aws:iam::" + testAccount + ":oidc-provider/" + name }

func TestOIDCProviders(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	out := must(f.svc.CreateOpenIDConnectProvider(ctx, &iamapi.CreateOpenIDConnectProviderRequest{
		Url:            ptr("https://idp.example.com:8443/realms/Main"),
		ClientIDList:   []string{"app", "cli", "app"},
		ThumbprintList: []string{strings.Repeat("AB", 20), strings.Repeat("ab", 20), strings.Repeat("cd", 20)},
		Tags:           []iamapi.Tag{{Key: ptr("team"), Value: ptr("a")}},
	}))(t)
	arn := oidcARN("idp.example.com:8443/realms/Main")
	if str(out.OpenIDConnectProviderArn) != arn || len(out.Tags) != 1 {
		t.Fatalf("CreateOpenIDConnectProvider = %+v", out)
	}
	get := func(a string) *iamapi.GetOpenIDConnectProviderResponse {
		t.Helper()
		return must(f.svc.GetOpenIDConnectProvider(ctx, &iamapi.GetOpenIDConnectProviderRequest{OpenIDConnectProviderArn: ptr(a)}))(t)
	}
	g := get(arn)
	if str(g.Url) != "idp.example.com:8443/realms/Main" || strings.Join(g.ClientIDList, ",") != "app,cli" ||
		strings.Join(g.ThumbprintList, ",") != strings.Repeat("ab", 20)+","+strings.Repeat("cd", 20) ||
		!g.CreateDate.Equal(f.now) || len(g.Tags) != 1 {
		t.Fatalf("GetOpenIDConnectProvider = %+v", g)
	}
	// The URL in another case names the same provider (names are unique case-insensitively).
	if g := get(oidcARN("IDP.example.com:8443/realms/main")); str(g.Url) != "idp.example.com:8443/realms/Main" {
		t.Fatalf("case-insensitive Get = %+v", g)
	}
	_, err := f.svc.CreateOpenIDConnectProvider(ctx, &iamapi.CreateOpenIDConnectProviderRequest{Url: ptr("https://IDP.example.com:8443/realms/main")})
	assertAPIError(t, err, "EntityAlreadyExists", 409, "Provider with url https://IDP.example.com:8443/realms/main already exists.")
	// Without a port, or with another path, it is another provider; thumbprints are optional.
	must(f.svc.CreateOpenIDConnectProvider(ctx, &iamapi.CreateOpenIDConnectProviderRequest{Url: ptr("https://idp.example.com")}))(t)
	if g := get(oidcARN("idp.example.com")); len(g.ThumbprintList) != 0 || len(g.ClientIDList) != 0 || g.Tags != nil {
		t.Fatalf("bare provider = %+v", g)
	}
	list := must(f.svc.ListOpenIDConnectProviders(ctx, &iamapi.ListOpenIDConnectProvidersRequest{}))(t).OpenIDConnectProviderList
	if len(list) != 2 || str(list[0].Arn) != oidcARN("idp.example.com") || str(list[1].Arn) != arn {
		t.Fatalf("ListOpenIDConnectProviders = %+v", list)
	}

	// Client IDs: adding one it has and removing one it lacks change nothing.
	for _, id := range []string{"app", "web"} {
		must(f.svc.AddClientIDToOpenIDConnectProvider(ctx, &iamapi.AddClientIDToOpenIDConnectProviderRequest{OpenIDConnectProviderArn: ptr(arn), ClientID: ptr(id)}))(t)
	}
	for _, id := range []string{"cli", "none", "APP"} {
		must(f.svc.RemoveClientIDFromOpenIDConnectProvider(ctx, &iamapi.RemoveClientIDFromOpenIDConnectProviderRequest{OpenIDConnectProviderArn: ptr(arn), ClientID: ptr(id)}))(t)
	}
	if g := get(arn); strings.Join(g.ClientIDList, ",") != "app,web" {
		t.Fatalf("client IDs = %v", g.ClientIDList)
	}
	must(f.svc.UpdateOpenIDConnectProviderThumbprint(ctx, &iamapi.UpdateOpenIDConnectProviderThumbprintRequest{OpenIDConnectProviderArn: ptr(arn),
		ThumbprintList: []string{strings.Repeat("EF", 20)}}))(t)
	if g := get(arn); strings.Join(g.ThumbprintList, ",") != strings.Repeat("ef", 20) {
		t.Fatalf("thumbprints = %v", g.ThumbprintList)
	}
	must(f.svc.UpdateOpenIDConnectProviderThumbprint(ctx, &iamapi.UpdateOpenIDConnectProviderThumbprintRequest{OpenIDConnectProviderArn: ptr(arn),
		ThumbprintList: []string{}}))(t)
	if g := get(arn); len(g.ThumbprintList) != 0 {
		t.Fatalf("thumbprints after clearing = %v", g.ThumbprintList)
	}

	// Tags.
	must(f.svc.TagOpenIDConnectProvider(ctx, &iamapi.TagOpenIDConnectProviderRequest{OpenIDConnectProviderArn: ptr(arn),
		Tags: []iamapi.Tag{{Key: ptr("TEAM"), Value: ptr("b")}, {Key: ptr("env"), Value: ptr("prod")}}}))(t)
	must(f.svc.UntagOpenIDConnectProvider(ctx, &iamapi.UntagOpenIDConnectProviderRequest{OpenIDConnectProviderArn: ptr(arn), TagKeys: []string{"ENV", "ghost"}}))(t)
	tags := must(f.svc.ListOpenIDConnectProviderTags(ctx, &iamapi.ListOpenIDConnectProviderTagsRequest{OpenIDConnectProviderArn: ptr(arn)}))(t)
	if len(tags.Tags) != 1 || str(tags.Tags[0].Key) != "TEAM" || str(tags.Tags[0].Value) != "b" || *tags.IsTruncated {
		t.Fatalf("ListOpenIDConnectProviderTags = %+v", tags)
	}
	many := make([]iamapi.Tag, maxTagsPerEntity)
	for i := range many {
		many[i] = iamapi.Tag{Key: ptr(fmt.Sprintf("k%d", i)), Value: ptr("v")}
	}
	_, err = f.svc.TagOpenIDConnectProvider(ctx, &iamapi.TagOpenIDConnectProviderRequest{OpenIDConnectProviderArn: ptr(arn), Tags: many})
	assertAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for TagsPerOpenIDConnectProvider: 50")

	// Addressing: a malformed ARN is InvalidInput; another account's provider, or none, is NoSuchEntity.
	other := "arn:aws:iam::" + otherTestAccount + ":oidc-provider/idp.example.com"
	for _, a := range []string{"arn:aws:iam::" + testAccount + ":role/r", "arn:aws:iam::" + testAccount + ":oidc-provider/", "not an arn",
		"arn:aws:iam:us-east-1:" + testAccount + ":oidc-provider/idp.example.com"} {
		_, err = f.svc.GetOpenIDConnectProvider(ctx, &iamapi.GetOpenIDConnectProviderRequest{OpenIDConnectProviderArn: ptr(a)})
		assertAPIError(t, err, "InvalidInput", 400, "ARN "+a+" is not valid.")
	}
	for _, a := range []string{other, oidcARN("ghost.example.com"), "arn:aws-cn:iam::" + testAccount + ":oidc-provider/idp.example.com"} {
		nse := "OpenIDConnect Provider not found for arn " + a
		_, err = f.svc.GetOpenIDConnectProvider(ctx, &iamapi.GetOpenIDConnectProviderRequest{OpenIDConnectProviderArn: ptr(a)})
		assertAPIError(t, err, "NoSuchEntity", 404, nse)
		_, err = f.svc.AddClientIDToOpenIDConnectProvider(ctx, &iamapi.AddClientIDToOpenIDConnectProviderRequest{OpenIDConnectProviderArn: ptr(a), ClientID: ptr("x")})
		assertAPIError(t, err, "NoSuchEntity", 404, nse)
		_, err = f.svc.RemoveClientIDFromOpenIDConnectProvider(ctx, &iamapi.RemoveClientIDFromOpenIDConnectProviderRequest{OpenIDConnectProviderArn: ptr(a), ClientID: ptr("x")})
		assertAPIError(t, err, "NoSuchEntity", 404, nse)
		_, err = f.svc.UpdateOpenIDConnectProviderThumbprint(ctx, &iamapi.UpdateOpenIDConnectProviderThumbprintRequest{OpenIDConnectProviderArn: ptr(a)})
		assertAPIError(t, err, "NoSuchEntity", 404, nse)
		_, err = f.svc.TagOpenIDConnectProvider(ctx, &iamapi.TagOpenIDConnectProviderRequest{OpenIDConnectProviderArn: ptr(a)})
		assertAPIError(t, err, "NoSuchEntity", 404, nse)
		_, err = f.svc.UntagOpenIDConnectProvider(ctx, &iamapi.UntagOpenIDConnectProviderRequest{OpenIDConnectProviderArn: ptr(a)})
		assertAPIError(t, err, "NoSuchEntity", 404, nse)
		_, err = f.svc.ListOpenIDConnectProviderTags(ctx, &iamapi.ListOpenIDConnectProviderTagsRequest{OpenIDConnectProviderArn: ptr(a)})
		assertAPIError(t, err, "NoSuchEntity", 404, nse)
		_, err = f.svc.DeleteOpenIDConnectProvider(ctx, &iamapi.DeleteOpenIDConnectProviderRequest{OpenIDConnectProviderArn: ptr(a)})
		assertAPIError(t, err, "NoSuchEntity", 404, "OpenId connect Provider "+a+" cannot be found.")
	}

	// Each account has its own providers under the same URL.
	must(f.svc.CreateOpenIDConnectProvider(rootOf(otherTestAccount), &iamapi.CreateOpenIDConnectProviderRequest{Url: ptr("https://idp.example.com")}))(t)
	must(f.svc.DeleteOpenIDConnectProvider(ctx, &iamapi.DeleteOpenIDConnectProviderRequest{OpenIDConnectProviderArn: ptr(oidcARN("IDP.example.com"))}))(t)
	_, err = f.svc.DeleteOpenIDConnectProvider(ctx, &iamapi.DeleteOpenIDConnectProviderRequest{OpenIDConnectProviderArn: ptr(oidcARN("idp.example.com"))})
	assertAPIError(t, err, "NoSuchEntity", 404, "OpenId connect Provider "+oidcARN("idp.example.com")+" cannot be found.")
	must(f.svc.GetOpenIDConnectProvider(rootOf(otherTestAccount), &iamapi.GetOpenIDConnectProviderRequest{OpenIDConnectProviderArn: ptr(other)}))(t)
}

// The stored shape is what STS relies on: the provider of an issuer is one read by the issuer without its
// scheme, and its client IDs and thumbprints decode from Data.
func TestOIDCProviderStoredShape(t *testing.T) {
	f := newFixture(t)
	const issuer = "https://dex.internal:5556/dex"
	must(f.svc.CreateOpenIDConnectProvider(f.root(), &iamapi.CreateOpenIDConnectProviderRequest{Url: ptr(issuer), ClientIDList: []string{"example-app"},
		ThumbprintList: []string{strings.Repeat("0A", 20)}}))(t)
	key, err := OIDCProviderName(issuer)
	if err != nil {
		t.Fatal(err)
	}
	var r *storage.Resource
	err = f.store.View(context.Background(), func(tx storage.Tx) error {
		var err error
		r, err = tx.GetResource(context.Background(), testAccount, storage.ResourceOIDCProvider, key)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := DecodeOIDCProvider(r)
	if err != nil || r.Name != "dex.internal:5556/dex" || r.Path != "/" || !strings.HasPrefix(r.ID, oidcProviderIDPrefix) ||
		strings.Join(d.ClientIDs, ",") != "example-app" || strings.Join(d.Thumbprints, ",") != strings.Repeat("0a", 20) {
		t.Fatalf("stored %+v (%s): %+v, %v", r, r.Data, d, err)
	}
}

func TestOIDCProviderQuotas(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	create := func(url string, clientIDs, thumbprints []string) error {
		_, err := f.svc.CreateOpenIDConnectProvider(ctx, &iamapi.CreateOpenIDConnectProviderRequest{Url: ptr(url), ClientIDList: clientIDs, ThumbprintList: thumbprints})
		return err
	}
	six := make([]string, maxThumbprintsPerOIDCProvider+1)
	for i := range six {
		six[i] = strings.Repeat(fmt.Sprint(i), 40)
	}
	assertAPIError(t, create("https://a.example", nil, six), "InvalidInput", 400, "Thumbprint list must contain fewer than 5 entries.")
	if err := create("https://a.example", nil, six[:5]); err != nil {
		t.Fatalf("5 thumbprints: %v", err)
	}
	_, err := f.svc.UpdateOpenIDConnectProviderThumbprint(ctx, &iamapi.UpdateOpenIDConnectProviderThumbprintRequest{OpenIDConnectProviderArn: ptr(oidcARN("a.example")), ThumbprintList: six})
	assertAPIError(t, err, "InvalidInput", 400, "Thumbprint list must contain fewer than 5 entries.")

	ids := make([]string, maxClientIDsPerOIDCProvider+1)
	for i := range ids {
		ids[i] = fmt.Sprintf("app%d", i)
	}
	assertAPIError(t, create("https://b.example", ids, nil), "LimitExceeded", 409, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100")
	add := func(id string) error {
		_, err := f.svc.AddClientIDToOpenIDConnectProvider(ctx, &iamapi.AddClientIDToOpenIDConnectProviderRequest{OpenIDConnectProviderArn: ptr(oidcARN("b.example")), ClientID: ptr(id)})
		return err
	}
	// The list is counted as sent: 101 entries are too many even when one repeats another.
	assertAPIError(t, create("https://b.example", append(ids[:100:100], "app0"), nil), "LimitExceeded", 409, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100")
	// Repeats are one client ID.
	if err := create("https://b.example", append(ids[:99:99], "app0"), nil); err != nil {
		t.Fatalf("99 client IDs and a repeat: %v", err)
	}
	if err := add("app99"); err != nil {
		t.Fatalf("the 100th client ID: %v", err)
	}
	assertAPIError(t, add("one-more"), "LimitExceeded", 409, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100")
	if err := add("app7"); err != nil {
		t.Fatalf("adding a client ID the provider has, at the quota: %v", err)
	}

	for i := 2; i < maxOIDCProvidersPerAccount; i++ {
		if err := create(fmt.Sprintf("https://p%d.example", i), nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	assertAPIError(t, create("https://one-more.example", nil, nil), "LimitExceeded", 409, "Cannot exceed quota for OpenIDConnectProvidersPerAccount: 100")
	// The quota is per account.
	if _, err := f.svc.CreateOpenIDConnectProvider(rootOf(otherTestAccount), &iamapi.CreateOpenIDConnectProviderRequest{Url: ptr("https://one-more.example")}); err != nil {
		t.Fatal(err)
	}
	sum := must(f.svc.GetAccountSummary(ctx, &iamapi.GetAccountSummaryInput{}))(t)
	if sum.SummaryMap["Providers"] != maxOIDCProvidersPerAccount {
		t.Fatalf("Providers = %d", sum.SummaryMap["Providers"])
	}
	must(f.svc.DeleteOpenIDConnectProvider(ctx, &iamapi.DeleteOpenIDConnectProviderRequest{OpenIDConnectProviderArn: ptr(oidcARN("p2.example"))}))(t)
	if err := create("https://one-more.example", nil, nil); err != nil {
		t.Fatalf("after a delete: %v", err)
	}
}

func TestOrganizationsFeaturesOutsideAnOrganization(t *testing.T) {
	f := newFixture(t)
	ctx := f.root()
	const msg = "The request was rejected because no organization is associated with your account."
	calls := map[string]func() error{
		"EnableOrganizationsRootCredentialsManagement": func() error {
			_, err := f.svc.EnableOrganizationsRootCredentialsManagement(ctx, &iamapi.EnableOrganizationsRootCredentialsManagementRequest{})
			return err
		},
		"DisableOrganizationsRootCredentialsManagement": func() error {
			_, err := f.svc.DisableOrganizationsRootCredentialsManagement(ctx, &iamapi.DisableOrganizationsRootCredentialsManagementRequest{})
			return err
		},
		"EnableOrganizationsRootSessions": func() error {
			_, err := f.svc.EnableOrganizationsRootSessions(ctx, &iamapi.EnableOrganizationsRootSessionsRequest{})
			return err
		},
		"DisableOrganizationsRootSessions": func() error {
			_, err := f.svc.DisableOrganizationsRootSessions(ctx, &iamapi.DisableOrganizationsRootSessionsRequest{})
			return err
		},
		"ListOrganizationsFeatures": func() error {
			_, err := f.svc.ListOrganizationsFeatures(ctx, &iamapi.ListOrganizationsFeaturesRequest{})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			assertAPIError(t, call(), "OrganizationNotFoundException", 400, msg)
		})
	}
}

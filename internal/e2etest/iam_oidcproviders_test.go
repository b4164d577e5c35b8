package e2etest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// OpenID Connect providers through the SDK: what each operation returns, the account summary, and every
// error path and quota.
func TestIAMOIDCProviders(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	const url = "https://idp.example.com:8443/realms/Main"
	const upper = "9E99A48A9960B14926BB7F3B02E22DA2B0AB7280"
	out := must[*iam.CreateOpenIDConnectProviderOutput](t, "CreateOpenIDConnectProvider")(c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String(url), ClientIDList: []string{"sts.amazonaws.com", "app"}, ThumbprintList: []string{upper}, Tags: tags("team", "a")}))
	arnMain := arn("oidc-provider/idp.example.com:8443/realms/Main")
	if aws.ToString(out.OpenIDConnectProviderArn) != arnMain || tagMap(out.Tags)["team"] != "a" {
		t.Fatalf("CreateOpenIDConnectProvider: %+v", out)
	}
	g := must[*iam.GetOpenIDConnectProviderOutput](t, "GetOpenIDConnectProvider")(c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arnMain)}))
	checkRecent(t, "GetOpenIDConnectProvider", g.CreateDate)
	if aws.ToString(g.Url) != "idp.example.com:8443/realms/Main" || !equalStrings(g.ClientIDList, []string{"sts.amazonaws.com", "app"}) ||
		!equalStrings(g.ThumbprintList, []string{strings.ToLower(upper)}) || tagMap(g.Tags)["team"] != "a" {
		t.Fatalf("GetOpenIDConnectProvider: %+v", g)
	}
	// Thumbprints are optional.
	must[*iam.CreateOpenIDConnectProviderOutput](t, "CreateOpenIDConnectProvider")(c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://token.actions.githubusercontent.com"), ClientIDList: []string{"sts.amazonaws.com"}}))
	gh := arn("oidc-provider/token.actions.githubusercontent.com")
	list := must[*iam.ListOpenIDConnectProvidersOutput](t, "ListOpenIDConnectProviders")(c.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{}))
	var arns []string
	for _, p := range list.OpenIDConnectProviderList {
		arns = append(arns, aws.ToString(p.Arn))
	}
	if !equalStrings(arns, []string{arnMain, gh}) {
		t.Fatalf("ListOpenIDConnectProviders: %v", arns)
	}
	sum := must[*iam.GetAccountSummaryOutput](t, "GetAccountSummary")(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}))
	if sum.SummaryMap["Providers"] != 2 {
		t.Fatalf("Providers = %d", sum.SummaryMap["Providers"])
	}

	// Client IDs: idempotent both ways; thumbprints replaced (also by none); tags with pagination.
	on := aws.String(arnMain)
	must[*iam.AddClientIDToOpenIDConnectProviderOutput](t, "AddClientID")(c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: on, ClientID: aws.String("app")}))
	must[*iam.AddClientIDToOpenIDConnectProviderOutput](t, "AddClientID")(c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: on, ClientID: aws.String("web")}))
	must[*iam.RemoveClientIDFromOpenIDConnectProviderOutput](t, "RemoveClientID")(c.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: on, ClientID: aws.String("sts.amazonaws.com")}))
	must[*iam.RemoveClientIDFromOpenIDConnectProviderOutput](t, "RemoveClientID")(c.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: on, ClientID: aws.String("never")}))
	must[*iam.UpdateOpenIDConnectProviderThumbprintOutput](t, "UpdateThumbprint")(c.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: on,
		ThumbprintList: []string{strings.Repeat("a", 40), strings.Repeat("B", 40)}}))
	g = must[*iam.GetOpenIDConnectProviderOutput](t, "GetOpenIDConnectProvider")(c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: on}))
	if !equalStrings(g.ClientIDList, []string{"app", "web"}) || !equalStrings(g.ThumbprintList, []string{strings.Repeat("a", 40), strings.Repeat("b", 40)}) {
		t.Fatalf("after changes: %+v", g)
	}
	must[*iam.UpdateOpenIDConnectProviderThumbprintOutput](t, "UpdateThumbprint")(c.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: on, ThumbprintList: []string{}}))
	g = must[*iam.GetOpenIDConnectProviderOutput](t, "GetOpenIDConnectProvider")(c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: on}))
	if len(g.ThumbprintList) != 0 {
		t.Fatalf("thumbprints after clearing: %v", g.ThumbprintList)
	}
	must[*iam.TagOpenIDConnectProviderOutput](t, "TagOpenIDConnectProvider")(c.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: on,
		Tags: tags("TEAM", "b", "env", "prod", "cost", "42")}))
	must[*iam.UntagOpenIDConnectProviderOutput](t, "UntagOpenIDConnectProvider")(c.UntagOpenIDConnectProvider(ctx, &iam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: on, TagKeys: []string{"ENV"}}))
	keys, pages := walk(t, 1, func(m *string, n int32) ([]string, bool, *string, error) {
		out, err := c.ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: on, Marker: m, MaxItems: aws.Int32(n)})
		if err != nil {
			return nil, false, nil, err
		}
		var a []string
		for _, tg := range out.Tags {
			a = append(a, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
		}
		return a, out.IsTruncated, out.Marker, nil
	})
	if pages != 2 || strings.Join(keys, ",") != "TEAM=b,cost=42" {
		t.Fatalf("ListOpenIDConnectProviderTags: %d pages %v", pages, keys)
	}

	ghost := arn("oidc-provider/ghost.example.com")
	nse := "OpenIDConnect Provider not found for arn " + ghost
	sixThumbprints := make([]string, 6)
	for i := range sixThumbprints {
		sixThumbprints[i] = strings.Repeat(fmt.Sprint(i), 40)
	}
	manyIDs := make([]string, 101)
	for i := range manyIDs {
		manyIDs[i] = fmt.Sprintf("app%d", i)
	}
	create := func(url string) func() error {
		return func() error {
			return call(c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(url)}))
		}
	}
	runErrCases(t, []errCase{
		{"url without scheme", create("idp.example.com"), "ValidationError", 400, "Invalid Open ID Connect Provider URL"},
		{"http url", create("http://idp.example.com"), "InvalidInput", 400, "Invalid Open ID Connect Provider URL. The URL must begin with https://."},
		{"url with query", create("https://idp.example.com?a=1"), "InvalidInput", 400, "Invalid Open ID Connect Provider URL."},
		{"url with user", create("https://u@idp.example.com"), "InvalidInput", 400, "Invalid Open ID Connect Provider URL."},
		{"url too long", create("https://" + strings.Repeat("a", 250) + ".com"), "ValidationError", 400, ""},
		{"duplicate", create("https://IDP.example.com:8443/realms/main"), "EntityAlreadyExists", 409,
			"Provider with url https://IDP.example.com:8443/realms/main already exists."},
		{"six thumbprints", func() error {
			return call(c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://x.example"), ThumbprintList: sixThumbprints}))
		}, "InvalidInput", 400, "Thumbprint list must contain fewer than 5 entries."},
		{"short thumbprint", func() error {
			return call(c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://x.example"), ThumbprintList: []string{"abc"}}))
		}, "ValidationError", 400, ""},
		{"101 client IDs", func() error {
			return call(c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://x.example"), ClientIDList: manyIDs}))
		}, "LimitExceeded", 409, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100"},
		{"long client ID", func() error {
			return call(c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: on, ClientID: aws.String(strings.Repeat("c", 256))}))
		}, "ValidationError", 400, ""},
		{"update six thumbprints", func() error {
			return call(c.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: on, ThumbprintList: sixThumbprints}))
		}, "InvalidInput", 400, "Thumbprint list must contain fewer than 5 entries."},
		{"not an OIDC ARN", func() error {
			return call(c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn("role/idp.example.com"))}))
		}, "InvalidInput", 400, "ARN " + arn("role/idp.example.com") + " is not valid."},
		{"get missing", func() error {
			return call(c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(ghost)}))
		}, "NoSuchEntity", 404, nse},
		{"another account's", func() error {
			return call(c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String("arn:aws:iam::210987654321:oidc-provider/idp.example.com")}))
		}, "NoSuchEntity", 404, "OpenIDConnect Provider not found for arn arn:aws:iam::210987654321:oidc-provider/idp.example.com"},
		{"add to missing", func() error {
			return call(c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(ghost), ClientID: aws.String("x")}))
		}, "NoSuchEntity", 404, nse},
		{"remove from missing", func() error {
			return call(c.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(ghost), ClientID: aws.String("x")}))
		}, "NoSuchEntity", 404, nse},
		{"update missing", func() error {
			return call(c.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: aws.String(ghost), ThumbprintList: []string{}}))
		}, "NoSuchEntity", 404, nse},
		{"tag missing", func() error {
			return call(c.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(ghost), Tags: tags("k", "v")}))
		}, "NoSuchEntity", 404, nse},
		{"untag missing", func() error {
			return call(c.UntagOpenIDConnectProvider(ctx, &iam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(ghost), TagKeys: []string{"k"}}))
		}, "NoSuchEntity", 404, nse},
		{"list tags of missing", func() error {
			return call(c.ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: aws.String(ghost)}))
		}, "NoSuchEntity", 404, nse},
		{"delete missing", func() error {
			return call(c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(ghost)}))
		}, "NoSuchEntity", 404, "OpenId connect Provider " + ghost + " cannot be found."},
		{"duplicate tag keys", func() error {
			return call(c.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: on, Tags: tags("a", "1", "A", "2")}))
		}, "InvalidInput", 400, "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
	})

	// Quotas: 100 client IDs (adding one it has stays fine), 50 tags, 100 providers.
	for i := 3; i <= 100; i++ {
		must[*iam.AddClientIDToOpenIDConnectProviderOutput](t, "AddClientID")(c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: on, ClientID: aws.String(fmt.Sprintf("id%d", i))}))
	}
	wantError(t, "101st client ID", call(c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: on, ClientID: aws.String("one-more")})),
		"LimitExceeded", 409, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100")
	must[*iam.AddClientIDToOpenIDConnectProviderOutput](t, "AddClientID again")(c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: on, ClientID: aws.String("web")}))
	var fifty []iamtypes.Tag
	for i := range 49 {
		fifty = append(fifty, tags(fmt.Sprintf("k%d", i), "v")...)
	}
	must[*iam.TagOpenIDConnectProviderOutput](t, "TagOpenIDConnectProvider")(c.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: on, Tags: fifty[:48]}))
	wantError(t, "51st tag", call(c.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: on, Tags: fifty[48:]})),
		"LimitExceeded", 409, "Cannot exceed quota for TagsPerOpenIDConnectProvider: 50")
	for i := 3; i <= 100; i++ {
		ok(t, "CreateOpenIDConnectProvider", create(fmt.Sprintf("https://idp%d.example.com", i))())
	}
	wantError(t, "101st provider", create("https://one-more.example.com")(), "LimitExceeded", 409, "Cannot exceed quota for OpenIDConnectProvidersPerAccount: 100")

	// Delete: by the ARN in any case; the provider and its count are gone.
	must[*iam.DeleteOpenIDConnectProviderOutput](t, "DeleteOpenIDConnectProvider")(c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn("oidc-provider/IDP.example.com:8443/realms/main"))}))
	wantError(t, "get deleted", call(c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: on})), "NoSuchEntity", 404, "OpenIDConnect Provider not found for arn "+arnMain)
	sum = must[*iam.GetAccountSummaryOutput](t, "GetAccountSummary")(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}))
	if sum.SummaryMap["Providers"] != 99 {
		t.Fatalf("Providers after a delete = %d", sum.SummaryMap["Providers"])
	}
	ok(t, "a provider after the delete", create("https://one-more.example.com")())
}

// The centralized root access operations, in an account outside any organization (every iamd account).
func TestIAMOrganizationsFeatures(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	const msg = "The request was rejected because no organization is associated with your account."
	runErrCases(t, []errCase{
		{"ListOrganizationsFeatures", func() error { return call(c.ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{})) },
			"OrganizationNotFoundException", 400, msg},
		{"EnableOrganizationsRootCredentialsManagement", func() error {
			return call(c.EnableOrganizationsRootCredentialsManagement(ctx, &iam.EnableOrganizationsRootCredentialsManagementInput{}))
		}, "OrganizationNotFoundException", 400, msg},
		{"DisableOrganizationsRootCredentialsManagement", func() error {
			return call(c.DisableOrganizationsRootCredentialsManagement(ctx, &iam.DisableOrganizationsRootCredentialsManagementInput{}))
		}, "OrganizationNotFoundException", 400, msg},
		{"EnableOrganizationsRootSessions", func() error {
			return call(c.EnableOrganizationsRootSessions(ctx, &iam.EnableOrganizationsRootSessionsInput{}))
		}, "OrganizationNotFoundException", 400, msg},
		{"DisableOrganizationsRootSessions", func() error {
			return call(c.DisableOrganizationsRootSessions(ctx, &iam.DisableOrganizationsRootSessionsInput{}))
		}, "OrganizationNotFoundException", 400, msg},
	})
	// The SDK knows the error as its modelled type.
	var nf *iamtypes.OrganizationNotFoundException
	if _, err := c.ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{}); !errors.As(err, &nf) {
		t.Fatalf("ListOrganizationsFeatures: %T %v, want *types.OrganizationNotFoundException", err, err)
	}
}

// Who may manage providers: policies match the provider's stored ARN (whatever case a request spells it
// in) and its tags; CreateOpenIDConnectProvider is matched against the ARN the URL gives; the centralized
// root access operations need their action before the organization question is answered.
func TestIAMOIDCProvidersAuthorization(t *testing.T) {
	e := newAuthzEnv(t)
	const oidc = azARN + "oidc-provider/"
	e.check2(e.root.CreateOpenIDConnectProvider(e.ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://tagged.example.com/Realm"), Tags: tags("team", "a")}))
	e.check2(e.root.CreateOpenIDConnectProvider(e.ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://other.example.com")}))
	doc := azDoc(
		`{"Effect":"Allow","Action":"iam:*OpenIDConnectProvider*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"a"}}}`,
		azAllow("iam:ListOpenIDConnectProviders", "*"),
		azAllow("iam:CreateOpenIDConnectProvider", oidc+"new.example.com:8443/*"),
		azAllow("iam:ListOrganizationsFeatures", "*"),
		azDeny("iam:DeleteOpenIDConnectProvider", oidc+"tagged.example.com/Realm"),
	)
	const callerARN = azARN + "user/operator"
	c := e.s.IAM(e.user("operator", doc))
	get := func(arn string) error {
		return call(c.GetOpenIDConnectProvider(e.ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}))
	}
	ok(t, "Get of the tagged provider", get(oidc+"tagged.example.com/Realm"))
	ok(t, "Get of the tagged provider in another case", get(oidc+"TAGGED.example.com/realm"))
	wantDenied(t, get(oidc+"other.example.com"), "AccessDenied", azNotAuthorized(callerARN, "iam:GetOpenIDConnectProvider", oidc+"other.example.com",
		because("identity-based policy", "iam:GetOpenIDConnectProvider")))
	ok(t, "ListOpenIDConnectProviders", call(c.ListOpenIDConnectProviders(e.ctx, &iam.ListOpenIDConnectProvidersInput{})))

	err := call(c.DeleteOpenIDConnectProvider(e.ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(oidc + "Tagged.Example.com/Realm")}))
	wantDenied(t, err, "AccessDenied", azNotAuthorized(callerARN, "iam:DeleteOpenIDConnectProvider", oidc+"Tagged.Example.com/Realm", "with an explicit deny in an identity-based policy"))

	create := func(url string) error {
		return call(c.CreateOpenIDConnectProvider(e.ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(url)}))
	}
	ok(t, "Create where allowed", create("https://new.example.com:8443/dex"))
	wantDenied(t, create("https://elsewhere.example.com"), "AccessDenied", azNotAuthorized(callerARN, "iam:CreateOpenIDConnectProvider",
		oidc+"elsewhere.example.com", because("identity-based policy", "iam:CreateOpenIDConnectProvider")))

	// Untagging team takes the caller's access away.
	e.check2(e.root.UntagOpenIDConnectProvider(e.ctx, &iam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(oidc + "tagged.example.com/Realm"), TagKeys: []string{"team"}}))
	wantDenied(t, get(oidc+"tagged.example.com/Realm"), "AccessDenied", azNotAuthorized(callerARN, "iam:GetOpenIDConnectProvider", oidc+"tagged.example.com/Realm",
		because("identity-based policy", "iam:GetOpenIDConnectProvider")))

	wantError(t, "ListOrganizationsFeatures allowed", call(c.ListOrganizationsFeatures(e.ctx, &iam.ListOrganizationsFeaturesInput{})), "OrganizationNotFoundException", 400, "")
	wantDenied(t, call(c.EnableOrganizationsRootSessions(e.ctx, &iam.EnableOrganizationsRootSessionsInput{})), "AccessDenied",
		azNotAuthorized(callerARN, "iam:EnableOrganizationsRootSessions", "*", because("identity-based policy", "iam:EnableOrganizationsRootSessions")))
}

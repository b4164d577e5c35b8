package e2etest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/iamd/iamd/internal/samlmeta"
	"github.com/iamd/iamd/internal/samlmeta/samltest"
)

func samlDoc(t testing.TB, entityID, validUntil string) string {
	return samltest.Document(samltest.Options{EntityID: entityID, ValidUntil: validUntil,
		Signing: [][]byte{samltest.Certificate(t, "idp-signing")}})
}

// SAML providers through the SDK: create, read, list, update (metadata, encryption mode, private keys),
// tags, delete, the account summary's Providers counter, and every error path.
func TestIAMSAMLProviders(t *testing.T) {
	e := newIAMEnv(t)
	c, ctx := e.c, e.ctx
	doc := samlDoc(t, "https://idp.example.com/saml", "2031-02-03T04:05:06Z")
	created := must[*iam.CreateSAMLProviderOutput](t, "CreateSAMLProvider")(c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{
		Name: aws.String("Okta"), SAMLMetadataDocument: aws.String(doc), Tags: tags("env", "prod")}))
	okta := arn("saml-provider/Okta")
	if aws.ToString(created.SAMLProviderArn) != okta || tagMap(created.Tags)["env"] != "prod" {
		t.Fatalf("CreateSAMLProvider: %+v", created)
	}

	g := must[*iam.GetSAMLProviderOutput](t, "GetSAMLProvider")(c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(okta)}))
	checkRecent(t, "GetSAMLProvider", g.CreateDate)
	uuid := aws.ToString(g.SAMLProviderUUID)
	if aws.ToString(g.SAMLMetadataDocument) != doc || len(uuid) < 22 || strings.Trim(uuid, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" ||
		!g.ValidUntil.Equal(time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)) || g.AssertionEncryptionMode != iamtypes.AssertionEncryptionModeTypeAllowed ||
		g.PrivateKeyList == nil || len(g.PrivateKeyList) != 0 || tagMap(g.Tags)["env"] != "prod" {
		t.Fatalf("GetSAMLProvider: %+v", g)
	}

	// Without validUntil the provider is valid for a hundred years.
	must[*iam.CreateSAMLProviderOutput](t, "CreateSAMLProvider 2")(c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{
		Name: aws.String("adfs"), SAMLMetadataDocument: aws.String(samlDoc(t, "http://adfs.example.com/adfs/services/trust", ""))}))
	list := must[*iam.ListSAMLProvidersOutput](t, "ListSAMLProviders")(c.ListSAMLProviders(ctx, &iam.ListSAMLProvidersInput{}))
	if len(list.SAMLProviderList) != 2 || aws.ToString(list.SAMLProviderList[0].Arn) != arn("saml-provider/adfs") ||
		aws.ToString(list.SAMLProviderList[1].Arn) != okta || list.SAMLProviderList[0].ValidUntil.Year() < time.Now().Year()+99 {
		t.Fatalf("ListSAMLProviders: %+v", list.SAMLProviderList)
	}
	sum := must[*iam.GetAccountSummaryOutput](t, "GetAccountSummary")(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}))
	if sum.SummaryMap["Providers"] != 2 {
		t.Fatalf("Providers = %d", sum.SummaryMap["Providers"])
	}

	// Private keys: added sealed, listed by ID and time only, at most two, removed by ID.
	k1, k2, k3 := samltest.PrivateKeyPEM(t), samltest.PrivateKeyPEM(t), samltest.PrivateKeyPEM(t)
	_, id1, _ := samlmeta.ParsePrivateKey(k1)
	_, id2, _ := samlmeta.ParsePrivateKey(k2)
	_, id3, _ := samlmeta.ParsePrivateKey(k3)
	up := must[*iam.UpdateSAMLProviderOutput](t, "UpdateSAMLProvider")(c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{
		SAMLProviderArn: aws.String(okta), AddPrivateKey: aws.String(k1), AssertionEncryptionMode: iamtypes.AssertionEncryptionModeTypeRequired}))
	if aws.ToString(up.SAMLProviderArn) != okta {
		t.Fatalf("UpdateSAMLProvider: %+v", up)
	}
	must[*iam.UpdateSAMLProviderOutput](t, "UpdateSAMLProvider k2")(c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{
		SAMLProviderArn: aws.String(okta), AddPrivateKey: aws.String(k2)}))
	g = must[*iam.GetSAMLProviderOutput](t, "GetSAMLProvider")(c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(okta)}))
	if g.AssertionEncryptionMode != iamtypes.AssertionEncryptionModeTypeRequired || len(g.PrivateKeyList) != 2 ||
		aws.ToString(g.PrivateKeyList[0].KeyId) != id1 || aws.ToString(g.PrivateKeyList[1].KeyId) != id2 || g.PrivateKeyList[0].Timestamp == nil {
		t.Fatalf("GetSAMLProvider keys: %+v", g)
	}
	// Rotation in one request: remove one, add another.
	must[*iam.UpdateSAMLProviderOutput](t, "rotate")(c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{
		SAMLProviderArn: aws.String(okta), RemovePrivateKey: aws.String(id1), AddPrivateKey: aws.String(k3)}))
	newDoc := samlDoc(t, "https://idp.example.com/saml2", "")
	must[*iam.UpdateSAMLProviderOutput](t, "new metadata")(c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{
		SAMLProviderArn: aws.String(arn("saml-provider/OKTA")), SAMLMetadataDocument: aws.String(newDoc)}))
	g = must[*iam.GetSAMLProviderOutput](t, "GetSAMLProvider")(c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(okta)}))
	if aws.ToString(g.SAMLMetadataDocument) != newDoc || aws.ToString(g.SAMLProviderUUID) != uuid || len(g.PrivateKeyList) != 2 ||
		aws.ToString(g.PrivateKeyList[0].KeyId) != id2 || aws.ToString(g.PrivateKeyList[1].KeyId) != id3 {
		t.Fatalf("after rotation: %+v", g)
	}

	// Tags.
	must[*iam.TagSAMLProviderOutput](t, "TagSAMLProvider")(c.TagSAMLProvider(ctx, &iam.TagSAMLProviderInput{SAMLProviderArn: aws.String(okta), Tags: tags("team", "id", "ENV", "dev")}))
	must[*iam.UntagSAMLProviderOutput](t, "UntagSAMLProvider")(c.UntagSAMLProvider(ctx, &iam.UntagSAMLProviderInput{SAMLProviderArn: aws.String(okta), TagKeys: []string{"team"}}))
	lt := must[*iam.ListSAMLProviderTagsOutput](t, "ListSAMLProviderTags")(c.ListSAMLProviderTags(ctx, &iam.ListSAMLProviderTagsInput{SAMLProviderArn: aws.String(okta)}))
	if len(lt.Tags) != 1 || aws.ToString(lt.Tags[0].Key) != "ENV" || aws.ToString(lt.Tags[0].Value) != "dev" || lt.IsTruncated {
		t.Fatalf("ListSAMLProviderTags: %+v", lt.Tags)
	}

	missing := arn("saml-provider/nope")
	other := "arn:aws:iam::999999999999:saml-provider/Okta"
	tooMany := make([]iamtypes.Tag, 51)
	for i := range tooMany {
		tooMany[i] = iamtypes.Tag{Key: aws.String(fmt.Sprint("k", i)), Value: aws.String("v")}
	}
	runErrCases(t, []errCase{
		{"duplicate name", func() error {
			return call(c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("okta"), SAMLMetadataDocument: aws.String(doc)}))
		}, "EntityAlreadyExists", 409, "SAMLProvider okta already exists."},
		{"not metadata", func() error {
			return call(c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("x"), SAMLMetadataDocument: aws.String(strings.Repeat("a", 1000))}))
		}, "InvalidInput", 400, "Could not parse metadata"},
		{"no IDPSSODescriptor", func() error {
			return call(c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("x"), SAMLMetadataDocument: aws.String(
				samltest.Document(samltest.Options{EntityID: "urn:sp", Signing: [][]byte{samltest.Certificate(t, "sp")}, NoIDP: true}))}))
		}, "InvalidInput", 400, "Could not parse metadata"},
		{"document too short", func() error {
			return call(c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("x"), SAMLMetadataDocument: aws.String("<x/>")}))
		}, "ValidationError", 400, validation("<x/>", "sAMLMetadataDocument", "Member must have length greater than or equal to 1000")},
		{"bad name", func() error {
			return call(c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("a b"), SAMLMetadataDocument: aws.String(doc)}))
		}, "ValidationError", 400, validation("a b", "name", `Member must satisfy regular expression pattern: [\w._-]+`)},
		{"required without key", func() error {
			return call(c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("x"), SAMLMetadataDocument: aws.String(doc),
				AssertionEncryptionMode: iamtypes.AssertionEncryptionModeTypeRequired}))
		}, "InvalidInput", 400, ""},
		{"bad private key", func() error {
			return call(c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("x"), SAMLMetadataDocument: aws.String(doc),
				AddPrivateKey: aws.String("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")}))
		}, "InvalidInput", 400, ""},
		{"third private key", func() error {
			return call(c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(okta), AddPrivateKey: aws.String(k1)}))
		}, "LimitExceeded", 409, "Cannot exceed quota for PrivateKeysPerSAMLProvider: 2"},
		{"remove unknown key", func() error {
			return call(c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(okta), RemovePrivateKey: aws.String(id1)}))
		}, "InvalidInput", 400, ""},
		{"get missing", func() error {
			return call(c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(missing)}))
		}, "NoSuchEntity", 404, "Manifest not found for arn " + missing},
		{"get other account", func() error {
			return call(c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(other)}))
		}, "NoSuchEntity", 404, "Manifest not found for arn " + other},
		{"update missing", func() error {
			return call(c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(missing), SAMLMetadataDocument: aws.String(doc)}))
		}, "NoSuchEntity", 404, "Manifest not found for arn " + missing},
		{"update bad metadata", func() error {
			return call(c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(okta), SAMLMetadataDocument: aws.String(strings.Repeat("<", 1000))}))
		}, "InvalidInput", 400, "Could not parse metadata"},
		{"delete missing", func() error {
			return call(c.DeleteSAMLProvider(ctx, &iam.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(missing)}))
		}, "NoSuchEntity", 404, "Manifest not found for arn " + missing},
		{"tag missing", func() error {
			return call(c.TagSAMLProvider(ctx, &iam.TagSAMLProviderInput{SAMLProviderArn: aws.String(missing), Tags: tags("a", "b")}))
		}, "NoSuchEntity", 404, "Manifest not found for arn " + missing},
		{"untag missing", func() error {
			return call(c.UntagSAMLProvider(ctx, &iam.UntagSAMLProviderInput{SAMLProviderArn: aws.String(missing), TagKeys: []string{"a"}}))
		}, "NoSuchEntity", 404, "Manifest not found for arn " + missing},
		{"list tags missing", func() error {
			return call(c.ListSAMLProviderTags(ctx, &iam.ListSAMLProviderTagsInput{SAMLProviderArn: aws.String(missing)}))
		}, "NoSuchEntity", 404, "Manifest not found for arn " + missing},
		{"too many tags", func() error {
			return call(c.TagSAMLProvider(ctx, &iam.TagSAMLProviderInput{SAMLProviderArn: aws.String(okta), Tags: tooMany}))
		}, "ValidationError", 400, ""},
	})

	// Never returned: the private keys' PEM appears in no answer.
	g = must[*iam.GetSAMLProviderOutput](t, "GetSAMLProvider")(c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(okta)}))
	if strings.Contains(fmt.Sprintf("%+v", g), "PRIVATE KEY") {
		t.Fatal("GetSAMLProvider returned a private key")
	}

	must[*iam.DeleteSAMLProviderOutput](t, "DeleteSAMLProvider")(c.DeleteSAMLProvider(ctx, &iam.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(okta)}))
	wantError(t, "get deleted", call(c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(okta)})), "NoSuchEntity", 404, "Manifest not found for arn "+okta)
	sum = must[*iam.GetAccountSummaryOutput](t, "GetAccountSummary")(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}))
	if sum.SummaryMap["Providers"] != 1 {
		t.Fatalf("Providers = %d after delete", sum.SummaryMap["Providers"])
	}
}

// The account holds at most 100 SAML providers.
func TestIAMSAMLProviderQuota(t *testing.T) {
	e := newIAMEnv(t)
	doc := samlDoc(t, "https://idp.example.com/saml", "")
	for i := range 100 {
		must[*iam.CreateSAMLProviderOutput](t, "CreateSAMLProvider")(e.c.CreateSAMLProvider(e.ctx, &iam.CreateSAMLProviderInput{
			Name: aws.String(fmt.Sprintf("p%03d", i)), SAMLMetadataDocument: aws.String(doc)}))
	}
	wantError(t, "101st", call(e.c.CreateSAMLProvider(e.ctx, &iam.CreateSAMLProviderInput{Name: aws.String("p100"), SAMLMetadataDocument: aws.String(doc)})),
		"LimitExceeded", 409, "Cannot exceed quota for SAMLProvidersPerAccount: 100")
	list := must[*iam.ListSAMLProvidersOutput](t, "ListSAMLProviders")(e.c.ListSAMLProviders(e.ctx, &iam.ListSAMLProvidersInput{}))
	if len(list.SAMLProviderList) != 100 || aws.ToString(list.SAMLProviderList[99].Arn) != arn("saml-provider/p099") {
		t.Fatalf("ListSAMLProviders: %d", len(list.SAMLProviderList))
	}
	// Too many signing keys in one document.
	certs := make([][]byte, samlmeta.MaxSigningCertificates+1)
	for i := range certs {
		certs[i] = samltest.Certificate(t, "k")
	}
	wantError(t, "11 keys", call(e.c.UpdateSAMLProvider(e.ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(arn("saml-provider/p000")),
		SAMLMetadataDocument: aws.String(samltest.Document(samltest.Options{EntityID: "urn:idp", Signing: certs}))})),
		"LimitExceeded", 409, "Cannot exceed quota for KeysPerSAMLProvider: 10")
}

// Authorization: each operation is evaluated against the provider's stored ARN with its tags.
func TestIAMSAMLProviderAuthorization(t *testing.T) {
	e := newAuthzEnv(t)
	doc := samlDoc(t, "https://idp.example.com/saml", "")
	if _, err := e.root.CreateSAMLProvider(e.ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Okta"), SAMLMetadataDocument: aws.String(doc),
		Tags: tags("team", "blue")}); err != nil {
		t.Fatal(err)
	}
	okta := azARN + "saml-provider/Okta"
	alice := e.s.IAM(e.user("alice", azDoc(
		azAllow("iam:*SAMLProvider*", "*"),
		`{"Effect":"Deny","Action":"iam:DeleteSAMLProvider","Resource":"`+okta+`"}`,
		`{"Effect":"Deny","Action":"iam:UpdateSAMLProvider","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}`,
		`{"Effect":"Deny","Action":"iam:CreateSAMLProvider","Resource":"`+azARN+`saml-provider/blocked"}`)))
	if _, err := alice.GetSAMLProvider(e.ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(okta)}); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.ListSAMLProviders(e.ctx, &iam.ListSAMLProvidersInput{}); err != nil {
		t.Fatal(err)
	}
	// (TestAdversarialSAMLProviderDenyHoldsWhateverTheCase checks other spellings of the ARN.)
	_, err := alice.DeleteSAMLProvider(e.ctx, &iam.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(okta)})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(azARN+"user/alice", "iam:DeleteSAMLProvider", okta, "with an explicit deny in an identity-based policy"))
	_, err = alice.UpdateSAMLProvider(e.ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(okta), SAMLMetadataDocument: aws.String(doc)})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(azARN+"user/alice", "iam:UpdateSAMLProvider", okta, "with an explicit deny in an identity-based policy"))
	_, err = alice.CreateSAMLProvider(e.ctx, &iam.CreateSAMLProviderInput{Name: aws.String("blocked"), SAMLMetadataDocument: aws.String(doc)})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(azARN+"user/alice", "iam:CreateSAMLProvider", azARN+"saml-provider/blocked", "with an explicit deny in an identity-based policy"))
	if _, err := alice.CreateSAMLProvider(e.ctx, &iam.CreateSAMLProviderInput{Name: aws.String("allowed"), SAMLMetadataDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	// Without any SAML permission.
	bob := e.s.IAM(e.user("bob", ""))
	_, err = bob.GetSAMLProvider(e.ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(okta)})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(azARN+"user/bob", "iam:GetSAMLProvider", okta, because("identity-based policy", "iam:GetSAMLProvider")))
	_, err = bob.ListSAMLProviders(e.ctx, &iam.ListSAMLProvidersInput{})
	wantDenied(t, err, "AccessDenied", azNotAuthorized(azARN+"user/bob", "iam:ListSAMLProviders", "*", because("identity-based policy", "iam:ListSAMLProviders")))
}

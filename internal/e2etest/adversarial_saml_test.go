package e2etest

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamd/iamd/internal/samlmeta/samltest"
	"github.com/iamd/iamd/internal/storage"
)

// A metadata document is attacker-chosen XML of up to the body limit. Deep nesting, an element flood and a
// document type declaration with entities (the "billion laughs") are refused with AWS's InvalidInput
// before any tree is built, and the server stays up.
func TestAdversarialSAMLMetadataBombsAreRefused(t *testing.T) {
	s := startIamd(t, nil, "--data-dir", t.TempDir()).server()
	c, ctx := s.IAM(RootCreds()), context.Background()
	good := samlDoc(t, "https://idp.example.com/saml", "")
	deep := strings.Replace(good, "<md:NameIDFormat>", strings.Repeat("<a>", 50_000)+strings.Repeat("</a>", 50_000)+"<md:NameIDFormat>", 1)
	wide := strings.Replace(good, "<md:NameIDFormat>", strings.Repeat("<a/>", 30_000)+"<md:NameIDFormat>", 1)
	laughs := `<?xml version="1.0"?><!DOCTYPE md:EntityDescriptor [<!ENTITY a "aaaaaaaaaa">` +
		`<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">` +
		`<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]>` +
		strings.Replace(good[strings.Index(good, "<md:EntityDescriptor"):], `entityID="`, `entityID="&e;`, 1)
	external := `<?xml version="1.0"?><!DOCTYPE md:EntityDescriptor [<!ENTITY x SYSTEM "file:///etc/passwd">]>` +
		strings.Replace(good[strings.Index(good, "<md:EntityDescriptor"):], `entityID="`, `entityID="&x;`, 1)
	for name, doc := range map[string]string{"deep": deep, "wide": wide, "billion laughs": laughs, "external entity": external} {
		t.Run(name, func(t *testing.T) {
			_, err := c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("bomb"), SAMLMetadataDocument: aws.String(doc)})
			wantError(t, name, err, "InvalidInput", 400, "Could not parse metadata")
		})
	}
	if _, err := c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("fine"), SAMLMetadataDocument: aws.String(good)}); err != nil {
		t.Fatalf("an ordinary document after the bombs: %v", err)
	}
}

// A provider's private keys (for decrypting assertions) are sealed with the master key: neither the PEM
// nor the key's DER is in the store, and no answer carries them.
func TestAdversarialSAMLPrivateKeysAreSealedAtRest(t *testing.T) {
	s := Start(t, Options{})
	c, ctx := s.IAM(RootCreds()), context.Background()
	key := samltest.PrivateKeyPEM(t)
	block, _ := pem.Decode([]byte(key))
	out, err := c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Okta"),
		SAMLMetadataDocument: aws.String(samlDoc(t, "https://idp.example.com/saml", "")), AddPrivateKey: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	var r *storage.Resource
	if err := s.App.Store.View(ctx, func(tx storage.Tx) error {
		var err error
		r, err = tx.GetResource(ctx, AccountID, storage.ResourceSAMLProvider, "Okta")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	stored := string(r.Data)
	for _, secret := range []string{key, base64.StdEncoding.EncodeToString(block.Bytes)[:40], "PRIVATE KEY"} {
		if strings.Contains(stored, secret) {
			t.Fatalf("the private key is stored in clear: %q", secret)
		}
	}
	g, err := c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.PrivateKeyList) != 1 || strings.Contains(aws.ToString(g.SAMLMetadataDocument), "PRIVATE KEY") {
		t.Fatalf("GetSAMLProvider: %+v", g.PrivateKeyList)
	}
}

// Provider names are unique regardless of case and the service finds a provider whatever case its ARN is
// spelled in, so authorization evaluates the stored ARN: a Deny on saml-provider/Okta also stops a request
// naming saml-provider/OKTA, and a Deny on the provider's tag holds whatever the spelling.
func TestAdversarialSAMLProviderDenyHoldsWhateverTheCase(t *testing.T) {
	e := advAuthzEnv(t)
	doc := samlDoc(t, "https://idp.example.com/saml", "")
	if _, err := e.root.CreateSAMLProvider(e.ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Okta"), SAMLMetadataDocument: aws.String(doc),
		Tags: tags("team", "blue")}); err != nil {
		t.Fatal(err)
	}
	okta := azARN + "saml-provider/Okta"
	alice := e.s.IAM(e.user("alice", azDoc(azAllow("iam:*", "*"), azDeny("iam:DeleteSAMLProvider", okta),
		`{"Effect":"Deny","Action":"iam:UpdateSAMLProvider","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}`)))
	for _, spelled := range []string{okta, azARN + "saml-provider/OKTA", azARN + "saml-provider/okta"} {
		_, err := alice.DeleteSAMLProvider(e.ctx, &iam.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(spelled)})
		wantDenied(t, err, "AccessDenied", azNotAuthorized(azARN+"user/alice", "iam:DeleteSAMLProvider", spelled, "with an explicit deny in an identity-based policy"))
		_, err = alice.UpdateSAMLProvider(e.ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(spelled), SAMLMetadataDocument: aws.String(doc)})
		wantDenied(t, err, "AccessDenied", azNotAuthorized(azARN+"user/alice", "iam:UpdateSAMLProvider", spelled, "with an explicit deny in an identity-based policy"))
	}
	if _, err := e.root.GetSAMLProvider(e.ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(okta)}); err != nil {
		t.Fatalf("the provider is gone: %v", err)
	}
}

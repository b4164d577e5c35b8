package e2etest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// AssumeRoleWithWebIdentity through the SDK as a CI job or a Kubernetes pod uses it: the web identity
// credential provider, unchanged, reading the token from a file, against a local HTTPS issuer trusted by
// its certificate's thumbprint.
func TestAssumeRoleWithWebIdentitySDK(t *testing.T) {
	s := Start(t, Options{})
	is := newOIDCIssuer(t)
	sub := "repo:octo/app:ref:refs/heads/main"
	roleARN := webIdentitySetup(t, s, is, "ci-deploy", map[string]any{
		"StringEquals": map[string]any{is.Host() + ":aud": "sts.amazonaws.com"},
		"StringLike":   map[string]any{is.Host() + ":sub": "repo:octo/app:*"},
	})
	ctx := context.Background()
	tokenFile := filepath.Join(t.TempDir(), "token")
	tok := is.sign(t, "rsa1", claims{"sub": sub, "azp": nil, "amr": []string{"pwd"},
		"https://aws.amazon.com/tags": map[string]any{"principal_tags": map[string][]string{"team": {"web"}},
			"transitive_tag_keys": []string{"team"}},
		"https://aws.amazon.com/source_identity": "octocat"})
	if err := os.WriteFile(tokenFile, []byte(tok), 0o600); err != nil {
		t.Fatal(err)
	}

	// The provider of stscreds, as application code builds it.
	anon := s.STS(aws.AnonymousCredentials{}, "us-east-1")
	p := stscreds.NewWebIdentityRoleProvider(anon, roleARN, stscreds.IdentityTokenFile(tokenFile),
		func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = "run-42" })
	creds, err := p.Retrieve(ctx)
	if err != nil {
		t.Fatalf("web identity provider: %v", err)
	}
	who, err := s.STS(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }), "us-east-1").
		GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if want := "arn:aws:sts::" + AccountID + ":assumed-role/ci-deploy/run-42"; aws.ToString(who.Arn) != want {
		t.Fatalf("caller %s, want %s", aws.ToString(who.Arn), want)
	}

	// The raw answer carries what AWS's does.
	out, err := anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN),
		RoleSessionName: aws.String("raw"), WebIdentityToken: aws.String(tok), DurationSeconds: aws.Int32(900),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	if aws.ToString(out.SubjectFromWebIdentityToken) != sub || aws.ToString(out.Provider) != is.URL ||
		aws.ToString(out.Audience) != "sts.amazonaws.com" || aws.ToString(out.SourceIdentity) != "octocat" ||
		out.PackedPolicySize == nil || out.Credentials == nil ||
		aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::"+AccountID+":assumed-role/ci-deploy/raw" {
		t.Fatalf("AssumeRoleWithWebIdentity: %+v %+v", out, out.AssumedRoleUser)
	}

	// The SDK's default chain: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, the set-up of EKS and of CI
	// runners, with the endpoint given as any client is pointed at iamd.
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile)
	t.Setenv("AWS_ROLE_ARN", roleARN)
	t.Setenv("AWS_ROLE_SESSION_NAME", "pod-7")
	t.Setenv("AWS_ENDPOINT_URL_STS", s.URL)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	who, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with the default chain: %v", err)
	}
	if want := "arn:aws:sts::" + AccountID + ":assumed-role/ci-deploy/pod-7"; aws.ToString(who.Arn) != want {
		t.Fatalf("caller %s, want %s", aws.ToString(who.Arn), want)
	}
	// Keys are cached: three exchanges cost two fetches (discovery and JWKS), no more.
	if n := is.requests.Load(); n != 2 {
		t.Fatalf("issuer saw %d requests, want 2 (keys cached)", n)
	}
}

// Each error of AssumeRoleWithWebIdentity that the request or the token's claims cause, and the amr and
// oaud condition keys.
func TestAssumeRoleWithWebIdentityErrorsAndConditionKeys(t *testing.T) {
	e := newWIEnv(t, nil)
	ctx := context.Background()
	anon := e.s.STS(aws.AnonymousCredentials{}, "us-east-1")
	tok := e.is.sign(t, "rsa1", nil)
	call := func(in sts.AssumeRoleWithWebIdentityInput) error {
		in.RoleArn, in.RoleSessionName = aws.String(e.roleARN), aws.String("session")
		if in.WebIdentityToken == nil {
			in.WebIdentityToken = aws.String(tok)
		}
		_, err := anon.AssumeRoleWithWebIdentity(ctx, &in)
		return err
	}
	refused(t, "bad session policy", call(sts.AssumeRoleWithWebIdentityInput{Policy: aws.String("{")}), "MalformedPolicyDocument", "")
	refused(t, "duration", call(sts.AssumeRoleWithWebIdentityInput{DurationSeconds: aws.Int32(7200)}), "ValidationError", "MaxSessionDuration")
	twoValues := e.is.sign(t, "rsa1", claims{"https://aws.amazon.com/tags": map[string]any{"principal_tags": map[string][]string{"team": {"a", "b"}}}})
	refused(t, "tag with two values", call(sts.AssumeRoleWithWebIdentityInput{WebIdentityToken: aws.String(twoValues)}), "IDPRejectedClaim", "")
	notRequested := e.is.sign(t, "rsa1", claims{"https://aws.amazon.com/tags": map[string]any{"principal_tags": map[string][]string{"team": {"a"}},
		"transitive_tag_keys": []string{"other"}}})
	refused(t, "transitive key not a tag", call(sts.AssumeRoleWithWebIdentityInput{WebIdentityToken: aws.String(notRequested)}), "IDPRejectedClaim", "")
	// Tags the token carries are held to the rules of the model's tags, as a SAML assertion's are.
	badKey := e.is.sign(t, "rsa1", claims{"https://aws.amazon.com/tags": map[string]any{"principal_tags": map[string][]string{"team!": {"a"}}}})
	refused(t, "tag key outside tagKeyType", call(sts.AssumeRoleWithWebIdentityInput{WebIdentityToken: aws.String(badKey)}), "IDPRejectedClaim", "")
	longValue := e.is.sign(t, "rsa1", claims{"https://aws.amazon.com/tags": map[string]any{"principal_tags": map[string][]string{"team": {strings.Repeat("a", 257)}}}})
	refused(t, "tag value over 256 characters", call(sts.AssumeRoleWithWebIdentityInput{WebIdentityToken: aws.String(longValue)}), "IDPRejectedClaim", "")

	// amr and oaud: the trust policy sees them under the provider's prefix.
	if _, err := e.s.IAM(RootCreds()).UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("web"),
		PolicyDocument: aws.String(webIdentityTrust(e.is.ProviderARN(AccountID), map[string]any{
			"ForAnyValue:StringEquals": map[string]any{e.is.Host() + ":amr": "authenticated"},
			"StringEquals":             map[string]any{e.is.Host() + ":oaud": "web-app", "aws:FederatedProvider": e.is.ProviderARN(AccountID)}}))}); err != nil {
		t.Fatal(err)
	}
	ok := e.is.sign(t, "rsa1", claims{"azp": "sts.amazonaws.com", "aud": "web-app", "amr": []string{"authenticated"}})
	if err := call(sts.AssumeRoleWithWebIdentityInput{WebIdentityToken: aws.String(ok)}); err != nil {
		t.Fatalf("amr and oaud matching: %v", err)
	}
	for what, c := range map[string]claims{
		"amr":  {"azp": "sts.amazonaws.com", "aud": "web-app", "amr": []string{"unauthenticated"}},
		"oaud": {"azp": "sts.amazonaws.com", "aud": "other-app", "amr": []string{"authenticated"}},
	} {
		err := call(sts.AssumeRoleWithWebIdentityInput{WebIdentityToken: aws.String(e.is.sign(t, "rsa1", c))})
		refused(t, what, err, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	}
}

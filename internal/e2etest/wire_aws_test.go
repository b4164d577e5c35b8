package e2etest

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/iamd/iamd/internal/ids"
)

// Wire details where iamd answered differently from AWS. The AWS side of each is in the test's comment;
// the tests read the raw answer where the SDK would hide the difference (an empty <Tags/> and a missing one
// both read as no tags).

// iamQuery sends an IAM query action signed by the root and returns the raw answer.
func iamQuery(t *testing.T, s *Server, params string) *wireResponse {
	t.Helper()
	c := wireCall{name: "iam", service: "iam", method: http.MethodPost, path: "/", contentType: wireFormContentType,
		body: "Version=2010-05-08&" + params, errNS: wireNSIAM}
	return doWire(t, rootSigner().sign(t, s.request(t, c, ""), c.body, c.service, "us-east-1", time.Now().UTC()), false)
}

// iamOK is iamQuery for an action that must succeed; it returns the body.
func iamOK(t *testing.T, s *Server, params string) string {
	t.Helper()
	got := iamQuery(t, s, params)
	if got.status != http.StatusOK {
		t.Fatalf("%s: %d %s %q", params, got.status, got.code, got.message)
	}
	return string(got.body)
}

// Which members of a managed policy and an instance profile each operation shows, as AWS shows them
// (recorded against AWS in moto's test_iam_response_attributes.py and LocalStack's IAM snapshot tests):
// CreatePolicy never shows the description, and the tags only when there are some; GetPolicy shows the
// tags always, as an empty <Tags/> when there are none, for customer and AWS managed policies alike;
// ListPolicies shows neither. GetInstanceProfile shows the tags always, before any tag was set and after the
// last one is removed; CreateInstanceProfile without tags shows none.
func TestWireTagsAndDescriptionPerOperation(t *testing.T) {
	s := Start(t, Options{})
	doc := url.QueryEscape(docAllow("s3:GetObject", "*"))
	arn := "arn:aws:iam::" + AccountID + ":policy/p1"

	create := iamOK(t, s, "Action=CreatePolicy&PolicyName=p1&Description=about&PolicyDocument="+doc)
	if strings.Contains(create, "<Description>") || strings.Contains(create, "<Tags") {
		t.Errorf("CreatePolicy with a description and no tags: %s", create)
	}
	get := iamOK(t, s, "Action=GetPolicy&PolicyArn="+url.QueryEscape(arn))
	if !strings.Contains(get, "<Description>about</Description>") || !strings.Contains(get, "<Tags/>") {
		t.Errorf("GetPolicy of an untagged policy: %s", get)
	}
	tagged := iamOK(t, s, "Action=CreatePolicy&PolicyName=p2&PolicyDocument="+doc+"&Tags.member.1.Key=k&Tags.member.1.Value=v")
	if !strings.Contains(tagged, "<Tags><member><Key>k</Key><Value>v</Value></member></Tags>") || strings.Contains(tagged, "<Description>") {
		t.Errorf("CreatePolicy with tags: %s", tagged)
	}
	list := iamOK(t, s, "Action=ListPolicies&Scope=Local")
	if strings.Contains(list, "<Tags") || strings.Contains(list, "<Description>") {
		t.Errorf("ListPolicies: %s", list)
	}
	awsManaged := iamOK(t, s, "Action=GetPolicy&PolicyArn="+url.QueryEscape("arn:aws:iam::aws:policy/IAMUserChangePassword"))
	if !strings.Contains(awsManaged, "<Tags/>") {
		t.Errorf("GetPolicy of an AWS managed policy: %s", awsManaged)
	}

	if body := iamOK(t, s, "Action=CreateInstanceProfile&InstanceProfileName=ip"); strings.Contains(body, "<Tags") {
		t.Errorf("CreateInstanceProfile without tags: %s", body)
	}
	if body := iamOK(t, s, "Action=GetInstanceProfile&InstanceProfileName=ip"); !strings.Contains(body, "<Tags/>") {
		t.Errorf("GetInstanceProfile never tagged: %s", body)
	}
	iamOK(t, s, "Action=TagInstanceProfile&InstanceProfileName=ip&Tags.member.1.Key=k&Tags.member.1.Value=v")
	if body := iamOK(t, s, "Action=GetInstanceProfile&InstanceProfileName=ip"); !strings.Contains(body, "<Tags><member><Key>k</Key><Value>v</Value></member></Tags>") {
		t.Errorf("GetInstanceProfile tagged: %s", body)
	}
	iamOK(t, s, "Action=UntagInstanceProfile&InstanceProfileName=ip&TagKeys.member.1=k")
	if body := iamOK(t, s, "Action=GetInstanceProfile&InstanceProfileName=ip"); !strings.Contains(body, "<Tags/>") {
		t.Errorf("GetInstanceProfile after its last tag is removed: %s", body)
	}
	if body := iamOK(t, s, "Action=ListInstanceProfiles"); strings.Contains(body, "<Tags") {
		t.Errorf("ListInstanceProfiles: %s", body)
	}
}

// IAM error answers with AWS's exact wording (recorded against AWS in LocalStack's IAM snapshot tests).
func TestWireErrorWording(t *testing.T) {
	s := Start(t, Options{})
	iamOK(t, s, "Action=CreateUser&UserName=ann")
	iamOK(t, s, "Action=CreateGroup&GroupName=devs")
	for _, tc := range []struct{ what, params, code, msg string }{
		// Not GetAccountPasswordPolicy's "The Password Policy with domain name … cannot be found.".
		{"delete a password policy there is none of", "Action=DeleteAccountPasswordPolicy",
			"NoSuchEntity", "The account policy with name PasswordPolicy cannot be found."},
		// The user is looked up before the group.
		{"remove an unknown user from an unknown group", "Action=RemoveUserFromGroup&GroupName=ghosts&UserName=ghost",
			"NoSuchEntity", "The user with name ghost cannot be found."},
		{"remove a user from an unknown group", "Action=RemoveUserFromGroup&GroupName=ghosts&UserName=ann",
			"NoSuchEntity", "The group with name ghosts cannot be found."},
		// Not "cannot be found": the user and the group both exist. AWS's text is not known
		// (docs/compatibility.md); iamd's is moto's.
		{"remove a user from a group they are not in", "Action=RemoveUserFromGroup&GroupName=devs&UserName=ann",
			"NoSuchEntity", "User ann not in group devs"},
	} {
		got := iamQuery(t, s, tc.params)
		got.expect(t, wireCall{name: tc.what, errNS: wireNSIAM}, http.StatusNotFound, tc.code, tc.msg)
	}
}

// GetSessionToken and AssumeRole with an MFA code iamd cannot validate: AWS's whole sentence
// (docs/aws-behavior.md, "STS rules"), the two spaces after the first period included. AssumeRole used to ignore the code
// and issue a session without MFA.
func TestWireMFAFailureSentence(t *testing.T) {
	ctx := context.Background()
	s := Start(t, Options{})
	const msg = "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user."
	_, err := s.STS(RootCreds(), "us-east-1").GetSessionToken(ctx, &sts.GetSessionTokenInput{
		SerialNumber: aws.String("arn:aws:iam::" + AccountID + ":mfa/root"), TokenCode: aws.String("123456")})
	wantError(t, "GetSessionToken with an MFA code", err, "AccessDenied", http.StatusForbidden, msg)

	ann := newUser(t, s, RootCreds(), "ann")
	roleARN := newRole(t, s, RootCreds(), "r", trustPolicy("arn:aws:iam::"+AccountID+":user/ann", ""), 3600)
	in := &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")}
	_, err = s.STS(ann, "us-east-1").AssumeRole(ctx, in)
	ok(t, "AssumeRole without MFA", err)
	in.SerialNumber, in.TokenCode = aws.String("arn:aws:iam::"+AccountID+":mfa/ann"), aws.String("123456")
	_, err = s.STS(ann, "us-east-1").AssumeRole(ctx, in)
	wantError(t, "AssumeRole with an MFA code", err, "AccessDenied", http.StatusForbidden, msg)
}

// GetAccountSummary has every key of AWS's SummaryMap, AccountPasswordPresent included (0: an iamd root
// user has no console password).
func TestWireAccountSummaryHasAccountPasswordPresent(t *testing.T) {
	s := Start(t, Options{})
	body := iamOK(t, s, "Action=GetAccountSummary")
	var res struct {
		Entries []struct {
			Key   string `xml:"key"`
			Value string `xml:"value"`
		} `xml:"GetAccountSummaryResult>SummaryMap>entry"`
	}
	if err := xml.Unmarshal([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Entries {
		if e.Key == "AccountPasswordPresent" {
			if e.Value != "0" {
				t.Fatalf("AccountPasswordPresent = %s, want 0", e.Value)
			}
			return
		}
	}
	t.Fatalf("no AccountPasswordPresent in %s", body)
}

// GetAccessKeyInfo answers from the store for the keys iamd holds, whose IDs need not encode their account
// (the test root key AKIAIAMDTESTROOT0001 is not even base32), and decodes the others.
func TestWireGetAccessKeyInfoKnownKeys(t *testing.T) {
	ctx := context.Background()
	s := Start(t, Options{})
	c := s.STS(RootCreds(), "us-east-1")
	user := newUser(t, s, RootCreds(), "ann")
	userKey, err := user.Retrieve(ctx)
	ok(t, "user key", err)
	foreign, err := ids.NewAccessKeyID(ids.PrefixAccessKey, "000000000042")
	ok(t, "foreign key", err)
	for key, want := range map[string]string{RootKeyID: AccountID, userKey.AccessKeyID: AccountID, foreign: "000000000042"} {
		out, err := c.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(key)})
		ok(t, "GetAccessKeyInfo "+key, err)
		if got := aws.ToString(out.Account); got != want {
			t.Errorf("GetAccessKeyInfo(%s) = %s, want %s", key, got, want)
		}
	}
	_, err = c.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("AKIA0000000000000000")})
	wantError(t, "GetAccessKeyInfo of an unknown undecodable ID", err, "InvalidParameterValue", http.StatusBadRequest, "")
}

// The documentation's example key as a preset root key: decoded, AKIAIOSFODNN7EXAMPLE names 581039954779;
// iamd holds it for its own account.
func TestWireGetAccessKeyInfoPresetExampleKey(t *testing.T) {
	const exampleKey, exampleSecret = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	if acct, _ := ids.AccountFromAccessKeyID(exampleKey); acct == AccountID {
		t.Fatalf("the example key decodes to the test account %s: the test proves nothing", acct)
	}
	p := startIamd(t, []string{"IAMD_ROOT_ACCESS_KEY_ID=" + exampleKey, "IAMD_ROOT_SECRET_ACCESS_KEY=" + exampleSecret},
		"--data-dir", t.TempDir(), "--account-id", AccountID)
	out, err := p.server().STS(Creds(exampleKey, exampleSecret, ""), "us-east-1").GetAccessKeyInfo(context.Background(),
		&sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(exampleKey)})
	ok(t, "GetAccessKeyInfo", err)
	if got := aws.ToString(out.Account); got != AccountID {
		t.Fatalf("GetAccessKeyInfo(%s) = %s, want %s", exampleKey, got, AccountID)
	}
}

// The Account API answers under the /global prefix, as IAM and STS do, through the unmodified SDK.
func TestWireAccountAPIUnderGlobal(t *testing.T) {
	ctx := context.Background()
	s := Start(t, Options{})
	for _, base := range []string{s.URL + "/global", s.URL + "/global/"} {
		c := account.NewFromConfig(s.config(RootCreds(), "us-east-1"), func(o *account.Options) { o.BaseEndpoint = aws.String(base) })
		out, err := c.GetRegionOptStatus(ctx, &account.GetRegionOptStatusInput{RegionName: aws.String("af-south-1")})
		ok(t, "GetRegionOptStatus at "+base, err)
		if aws.ToString(out.RegionName) != "af-south-1" {
			t.Errorf("%s: %+v", base, out)
		}
		_, err = c.ListRegions(ctx, &account.ListRegionsInput{MaxResults: aws.Int32(5)})
		ok(t, "ListRegions at "+base, err)
	}
	// IAM and STS there too, for comparison.
	i := iam.NewFromConfig(s.config(RootCreds(), "us-east-1"), func(o *iam.Options) { o.BaseEndpoint = aws.String(s.URL + "/global") })
	_, err := i.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	ok(t, "IAM at /global", err)
	identity(t, s.GlobalSTS(RootCreds()))
}

// SigV4 paths for services other than S3: AWS computes the canonical URI from the path with dot segments
// removed and runs of slashes collapsed (botocore and the JavaScript SDK sign it so), and the endpoint
// (the /global prefix) follows the same normalised path. The first case is HashiCorp Vault's AWS auth
// method: it replays a client's GetCallerIdentity, signed for "/" with Host sts.amazonaws.com, to "//".
func TestWireSigV4NormalisedPaths(t *testing.T) {
	s := Start(t, Options{})
	gci := stsCall
	sts := func(signed, sent, host string, c wireCall) *wireResponse {
		t.Helper()
		c.path = signed
		r := rootSigner().sign(t, s.request(t, c, host), c.body, c.service, "us-east-1", time.Now().UTC())
		setWirePath(t, r, sent)
		return doWire(t, r, c.errNS == "")
	}
	gst := wireCall{name: "query", service: "sts", method: http.MethodPost, contentType: wireFormContentType,
		body: "Action=GetSessionToken&Version=2011-06-15&DurationSeconds=900", errNS: wireNSSTS}
	for _, tc := range []struct {
		signed, sent, host string
		global             bool // the endpoint must be the STS global one (v1 tokens for this account)
	}{
		{"/", "//", "sts.amazonaws.com", true},
		{"/", "//", "", false},
		{"/", "/./", "", false},
		{"/", "/a/../", "", false},
		{"/", "/a/b/../../", "", false},
		{"/global/", "/global//", "", true},
		{"/global", "/global/.", "", true},
		{"/global", "/x/../global", "", true},
		{"/", "/global/..", "", false},
		{"/x/c%20d/", "/x/%2E%2E/../c%20d//", "", false}, // "%2E%2E" is a segment, not ".."
	} {
		got := sts(tc.signed, tc.sent, tc.host, gci)
		if got.status != http.StatusOK {
			t.Errorf("GetCallerIdentity signed for %s, sent to %s (Host %q): %d %s %q", tc.signed, tc.sent, tc.host, got.status, got.code, got.message)
			continue
		}
		got = sts(tc.signed, tc.sent, tc.host, gst)
		var res struct {
			Token string `xml:"GetSessionTokenResult>Credentials>SessionToken"`
		}
		if err := xml.Unmarshal(got.body, &res); err != nil || got.status != http.StatusOK {
			t.Fatalf("GetSessionToken to %s: %d %v %s", tc.sent, got.status, err, got.body)
		}
		if isV1 := strings.HasPrefix(res.Token, prefixV1); isV1 != tc.global {
			t.Errorf("GetSessionToken signed for %s, sent to %s: token %.16s…, global endpoint %v", tc.signed, tc.sent, res.Token, tc.global)
		}
	}
	// A signature over the literal unnormalised path (aws-sdk-go-v2's signer does not normalise) is not
	// AWS's canonical request: refused, as AWS refuses it.
	for _, p := range []string{"//", "/./", "/a/../", "/global//"} {
		sts(p, p, "", gci).expect(t, gci, http.StatusForbidden, "SignatureDoesNotMatch", sigMsgMismatch)
	}
	// The Account API (rest-json, operations found by path) follows the normalised path too.
	acct := accountCall
	for _, sent := range []string{"//listRegions", "/x/../listRegions", "/global//listRegions", "/global/./listRegions"} {
		signed := "/listRegions"
		if strings.HasPrefix(sent, "/global") {
			signed = "/global/listRegions"
		}
		if got := sts(signed, sent, "", acct); got.status != http.StatusOK {
			t.Errorf("ListRegions signed for %s, sent to %s: %d %s %q", signed, sent, got.status, got.code, got.message)
		}
	}
}

// setWirePath makes r go out with exactly the escaped path p (url.Parse would read "//x" as a host).
func setWirePath(t *testing.T, r *http.Request, p string) {
	t.Helper()
	path, err := url.PathUnescape(p)
	if err != nil {
		t.Fatal(err)
	}
	r.URL.Path, r.URL.RawPath = path, p
	if r.URL.EscapedPath() != p {
		t.Fatalf("path %q would go out as %q", p, r.URL.EscapedPath())
	}
}

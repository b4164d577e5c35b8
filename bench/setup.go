package main

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Names of what the setup creates in every target.
const (
	benchUser     = "bench-user"
	benchRole     = "bench-role"
	benchPolicy   = "bench-policy"
	storagePolicy = "bench-p" // bench-p0 … bench-p4, attached in the storage phase
	// attachedPerUser is how many managed policies the storage phase attaches to each user.
	attachedPerUser = 5
	// keysPerUser is how many access keys the storage phase gives each user (AWS's limit is 2).
	keysPerUser = 2
)

// env is what the mixes need from a set-up target.
type env struct {
	t       *target
	account string
	root    *signer // the account's root: setup and the storage phase's writes
	user    *signer // bench-user: an IAM user whose requests go through policy enforcement
	roleARN string
	// webRoleARN is bench-web-role, which the load tool's OIDC issuer's token (webToken) assumes.
	webRoleARN, webToken string
	issuer               *benchIssuer
}

// benchPolicyDocument lets bench-user do what the mixes ask, in several statements so that enforcement
// has some matching to do, as it would for a real user.
func benchPolicyDocument(account string) string {
	return `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"Read","Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"},` +
		`{"Sid":"Users","Effect":"Allow","Action":["iam:CreateUser","iam:DeleteUser","iam:TagUser","iam:UntagUser"],"Resource":"arn:aws:iam::` + account + `:user/*"},` +
		`{"Sid":"Sessions","Effect":"Allow","Action":["sts:GetSessionToken","sts:AssumeRole"],"Resource":"*"},` +
		`{"Sid":"KeepAdmin","Effect":"Deny","Action":"iam:DeleteUser","Resource":"arn:aws:iam::` + account + `:user/admin"}]}`
}

func trustPolicyDocument(account string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account +
		`:root"},"Action":"sts:AssumeRole"}]}`
}

func storagePolicyDocument(i int) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"P%d","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::bench-bucket-%d","arn:aws:s3:::bench-bucket-%d/*"]}]}`, i, i, i)
}

// do sends one signed call and fails unless it succeeds.
func do(t *target, s *signer, c call) ([]byte, error) {
	wire, err := s.sign(c)
	if err != nil {
		return nil, err
	}
	st, body, err := once(t.addr(), wire)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", t.name, c.body, err)
	}
	if st != http.StatusOK {
		return body, fmt.Errorf("%s %s: HTTP %d: %s", t.name, c.body, st, truncate(body, 500))
	}
	return body, nil
}

// setUp creates bench-user (with a key and an attached policy), bench-role and the storage phase's
// policies, and for the webidentity mix (only when mixNames holds it, so that a build without OIDC
// providers can still be measured on the other mixes) an OIDC provider and bench-web-role.
func setUp(t *target, mixNames []string) (*env, error) {
	root, err := newSigner(t.endpoint, t.root)
	if err != nil {
		return nil, err
	}
	e := &env{t: t, root: root}
	body, err := do(t, root, stsCall("GetCallerIdentity"))
	if err != nil {
		return nil, err
	}
	var ident struct {
		Account string `xml:"GetCallerIdentityResult>Account"`
	}
	if err := xml.Unmarshal(body, &ident); err != nil || ident.Account == "" {
		return nil, fmt.Errorf("%s: GetCallerIdentity: no account in %s", t.name, truncate(body, 300))
	}
	e.account = ident.Account
	steps := []call{
		iamCall("CreatePolicy", "PolicyName", benchPolicy, "PolicyDocument", benchPolicyDocument(e.account)),
		iamCall("CreateUser", "UserName", benchUser),
		iamCall("AttachUserPolicy", "UserName", benchUser, "PolicyArn", "arn:aws:iam::"+e.account+":policy/"+benchPolicy),
		iamCall("CreateRole", "RoleName", benchRole, "AssumeRolePolicyDocument", trustPolicyDocument(e.account)),
	}
	if slices.Contains(mixNames, "webidentity") {
		is, err := startBenchIssuer()
		if err != nil {
			return nil, err
		}
		e.issuer, e.webToken = is, is.token
		steps = append(steps,
			iamCall("CreateOpenIDConnectProvider", "Url", is.url, "ClientIDList.member.1", "sts.amazonaws.com", "ThumbprintList.member.1", is.thumbprint),
			iamCall("CreateRole", "RoleName", benchWebRole, "AssumeRolePolicyDocument", webTrustPolicyDocument(e.account, is.provider())))
	}
	for i := range attachedPerUser {
		steps = append(steps, iamCall("CreatePolicy", "PolicyName", fmt.Sprintf("%s%d", storagePolicy, i), "PolicyDocument", storagePolicyDocument(i)))
	}
	for _, c := range steps {
		if _, err := do(t, root, c); err != nil {
			return nil, err
		}
	}
	body, err = do(t, root, iamCall("CreateAccessKey", "UserName", benchUser))
	if err != nil {
		return nil, err
	}
	var key struct {
		ID     string `xml:"CreateAccessKeyResult>AccessKey>AccessKeyId"`
		Secret string `xml:"CreateAccessKeyResult>AccessKey>SecretAccessKey"`
	}
	if err := xml.Unmarshal(body, &key); err != nil || key.ID == "" {
		return nil, fmt.Errorf("%s: CreateAccessKey: no key in %s", t.name, truncate(body, 300))
	}
	if e.user, err = newSigner(t.endpoint, aws.Credentials{AccessKeyID: key.ID, SecretAccessKey: key.Secret}); err != nil {
		return nil, err
	}
	e.roleARN = "arn:aws:iam::" + e.account + ":role/" + benchRole
	e.webRoleARN = "arn:aws:iam::" + e.account + ":role/" + benchWebRole
	return e, nil
}

// check sends every call of the mixes named once as the mix would, so that a run never measures errors.
func (e *env) check(mixNames []string) error {
	for _, name := range mixNames {
		m, _ := mixByName(name)
		for _, o := range m.ops {
			c := o.build(e, 0, 0)
			s := e.user
			if o.root {
				s = e.root
			}
			if _, err := do(e.t, s, c); err != nil {
				return fmt.Errorf("mix %s: %w", m.name, err)
			}
			if o.undo != nil {
				if _, err := do(e.t, s, o.undo(e, 0, 0)); err != nil {
					return fmt.Errorf("mix %s: %w", m.name, err)
				}
			}
		}
	}
	return nil
}

// xmlValues returns the text of every element named name in an XML body (markers, user names).
func xmlValues(body []byte, name string) []string {
	var out []string
	d := xml.NewDecoder(strings.NewReader(string(body)))
	in := false
	for {
		tok, err := d.Token()
		if err != nil {
			return out
		}
		switch v := tok.(type) {
		case xml.StartElement:
			in = v.Name.Local == name
		case xml.CharData:
			if in {
				out = append(out, string(v))
			}
		case xml.EndElement:
			in = false
		}
	}
}

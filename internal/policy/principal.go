package policy

import (
	"fmt"
	"strings"
)

// Principal is who makes a request, as resource-based policies (trust policies among them) match it.
type Principal struct {
	// ARN is the caller's ARN as GetCallerIdentity reports it: a user, the root user, an assumed-role
	// session (arn:aws:sts::ACCT:assumed-role/ROLE/SESSION) or a federated user.
	ARN string
	// AccountID is the caller's account.
	AccountID string
	// RoleARN is the IAM ARN of the role behind an assumed-role session
	// (arn:aws:iam::ACCT:role/PATH/NAME); policies naming the role match its sessions.
	RoleARN string
	// IsRoot marks the account's root user, which holds every permission in its own account unless a
	// policy explicitly denies it.
	IsRoot bool
	// Service is set when an AWS service principal (ec2.amazonaws.com) makes the request.
	Service string
	// Federated is the identity provider (an OIDC/SAML provider ARN or a well-known web identity
	// provider such as accounts.google.com) for AssumeRoleWithSAML / AssumeRoleWithWebIdentity.
	Federated string
	// CanonicalUser is an S3 canonical user ID.
	CanonicalUser string
	// ID is the unique ID (AIDA…, AROA…) of the IAM user ARN names (a user or its GetSessionToken
	// session) or of the role RoleARN names (an assumed-role session); empty for other callers. A policy
	// whose named users and roles were resolved to unique IDs when it was saved (Attached.PrincipalIDs)
	// matches them by this ID, not by name.
	ID string
}

// grant says how a resource-based policy statement named the principal; it decides whether the resource
// policy can grant access on its own (see Evaluate).
type grant uint8

const (
	grantNone    grant = iota
	grantAccount       // the principal's account (ID or :root ARN): delegation to the account's own policies
	grantRole          // the role behind a session, or a wildcard: limited by boundaries and session policies
	grantExact         // the caller's own ARN
)

type principalSet struct {
	any      bool     // "Principal": "*" (everyone, anonymous included)
	awsAny   bool     // "AWS": "*"
	accounts []string // account IDs
	arns     []string // user, role, session and federated-user ARNs
	// arnKinds[i] says whether arns[i] names an IAM user or role, the principals IAM resolves to a
	// unique ID when the policy is saved.
	arnKinds  []arnKind
	services  []string
	federated []string
	canonical []string
	all       []string // every AWS value, for PrincipalARNs
}

// size is the set's weight in Policy.Cost: matching walks each list once.
func (ps *principalSet) size() int {
	return len(ps.accounts) + len(ps.arns) + len(ps.services) + len(ps.federated) + len(ps.canonical)
}

// compilePrincipals reads a Principal or NotPrincipal element.
func compilePrincipals(n *jsonNode) (principalSet, error) {
	var ps principalSet
	if n.kind == jString {
		if n.str != "*" {
			return ps, malformed(msgSyntax)
		}
		ps.any = true
		return ps, nil
	}
	if n.kind != jObject || len(n.keys) == 0 || hasDuplicateKeys(n) {
		return ps, malformed(msgSyntax)
	}
	for i, k := range n.keys {
		vals, ok := stringList(n.vals[i], false, true)
		if !ok || len(vals) == 0 {
			return ps, malformed(msgSyntax)
		}
		for _, v := range vals {
			invalid := malformed(fmt.Sprintf("Invalid principal in policy: %q:%q", k, v))
			switch k {
			case "AWS":
				switch {
				case v == "*":
					ps.awsAny = true
				case isAccountID(v):
					ps.accounts = append(ps.accounts, v)
				default:
					acct, ok := principalARN(v)
					if !ok {
						return ps, invalid
					}
					if acct != "" {
						ps.accounts = append(ps.accounts, acct)
					} else {
						ps.arns = append(ps.arns, v)
						ps.arnKinds = append(ps.arnKinds, kindOfARN(v))
					}
				}
				ps.all = append(ps.all, v)
			case "Service":
				if v == "" || strings.ContainsAny(v, " \t\r\n") {
					return ps, invalid
				}
				ps.services = append(ps.services, strings.ToLower(v))
			case "Federated":
				if v == "" || strings.ContainsAny(v, " \t\r\n") {
					return ps, invalid
				}
				ps.federated = append(ps.federated, v)
			case "CanonicalUser":
				if v == "" {
					return ps, invalid
				}
				ps.canonical = append(ps.canonical, v)
			default:
				return ps, malformed(msgSyntax)
			}
		}
	}
	return ps, nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// principalARN validates an ARN in an "AWS" principal. For arn:PARTITION:iam::ACCT:root it returns the
// account, as that form means the whole account. Wildcards are not allowed in principal ARNs.
func principalARN(v string) (account string, ok bool) {
	if strings.ContainsAny(v, "*?") {
		return "", false
	}
	f := strings.SplitN(v, ":", 6)
	if len(f) != 6 || f[0] != "arn" || f[1] == "" || f[3] != "" || !isAccountID(f[4]) {
		return "", false
	}
	res := f[5]
	switch f[2] {
	case "iam":
		if res == "root" {
			return f[4], true
		}
		if (strings.HasPrefix(res, "user/") || strings.HasPrefix(res, "role/")) && !strings.HasSuffix(res, "/") {
			return "", true
		}
	case "sts":
		if strings.HasPrefix(res, "assumed-role/") && strings.Count(res, "/") >= 2 ||
			strings.HasPrefix(res, "federated-user/") && len(res) > len("federated-user/") {
			return "", true
		}
	}
	return "", false
}

// arnKind is the sort of principal an "AWS" ARN names.
type arnKind uint8

const (
	arnOther arnKind = iota // an assumed-role session or a federated user
	arnUser                 // arn:…:iam::ACCT:user/…
	arnRole                 // arn:…:iam::ACCT:role/…
)

// kindOfARN classifies an ARN principalARN accepted.
func kindOfARN(v string) arnKind {
	f := strings.SplitN(v, ":", 6)
	if len(f) != 6 || f[2] != "iam" {
		return arnOther
	}
	switch {
	case strings.HasPrefix(f[5], "user/"):
		return arnUser
	case strings.HasPrefix(f[5], "role/"):
		return arnRole
	}
	return arnOther
}

// match says how the set names p. resolved maps the user and role ARNs of the policy, as written, to
// the unique IDs they named when the policy was saved (nil: none resolved). A resolved ARN names that
// principal only: the caller's unique ID must be the one saved, so a user or role deleted and created
// again under the same name is not named (IAM User Guide, "AWS JSON policy elements: Principal").
func (ps *principalSet) match(p *Principal, resolved map[string]string) grant {
	best := grantNone
	up := func(g grant) {
		if g > best {
			best = g
		}
	}
	if ps.any {
		up(grantRole)
	}
	isAWS := p.ARN != ""
	if isAWS {
		if ps.awsAny {
			up(grantRole)
		}
		for _, a := range ps.accounts {
			if a == p.AccountID {
				up(grantAccount)
			}
		}
		for i, a := range ps.arns {
			if id, ok := resolved[a]; ok && ps.arnKinds[i] != arnOther {
				if id == "" || id != p.ID {
					continue
				}
				switch {
				case ps.arnKinds[i] == arnUser && p.RoleARN == "":
					up(grantExact)
				case ps.arnKinds[i] == arnRole && p.RoleARN != "":
					up(grantRole)
				}
				continue
			}
			switch a {
			case p.ARN:
				up(grantExact)
			case p.RoleARN:
				up(grantRole)
			}
		}
	}
	if p.Service != "" {
		for _, s := range ps.services {
			if strings.EqualFold(s, p.Service) {
				up(grantExact)
			}
		}
	}
	if p.Federated != "" {
		for _, f := range ps.federated {
			if f == p.Federated {
				up(grantExact)
			}
		}
	}
	if p.CanonicalUser != "" {
		for _, c := range ps.canonical {
			if c == p.CanonicalUser {
				up(grantExact)
			}
		}
	}
	return best
}

// PrincipalARNs returns the values of every "AWS" principal in the policy, as written, so that the IAM
// service can check that named users and roles exist (IAM rejects a trust policy naming a missing one with
// `Invalid principal in policy: "AWS":"ARN"`).
func (p *Policy) PrincipalARNs() []string {
	var out []string
	for _, st := range p.Statements {
		out = append(out, st.principals.all...)
	}
	return out
}

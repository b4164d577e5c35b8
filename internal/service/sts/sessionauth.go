package sts

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/iamd/iamd/internal/api/stsapi"
	"github.com/iamd/iamd/internal/policy"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
)

// sessionGrant is what a request for temporary credentials puts into the session beyond the principal's
// own attributes: session tags, transitive tag keys, a source identity. Each needs a permission of its own
// (IAM User Guide, "Passing session tags in AWS STS", "Permissions required to add session tags"): session
// tags become the session's aws:PrincipalTag/* and override the principal's own tags of the same key, so
// passing them must be as controlled as tagging the principal, or a policy with a condition on
// aws:PrincipalTag would be the caller's to satisfy. Every operation that issues credentials with any of
// these (GetFederationToken, AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity) authorizes them
// through actions and addContext.
type sessionGrant struct {
	tags       []stsapi.Tag
	transitive []string
	// inheritsTags is set for a chained role session whose caller carries transitive tags into it.
	inheritsTags   bool
	sourceIdentity *string
	// tagAction is the action tags need: sts:TagSession when empty; GetWebIdentityToken's tags, which
	// become claims of a token rather than session tags, need sts:TagGetWebIdentityToken.
	tagAction string
}

// actions are the permission-only actions the grant needs besides the operation's own action:
// sts:TagSession when it passes session tags or transitive tag keys, or inherits transitive tags;
// sts:SetSourceIdentity when it sets a source identity.
func (g *sessionGrant) actions() []string {
	var out []string
	if len(g.tags) > 0 || len(g.transitive) > 0 || g.inheritsTags {
		out = append(out, cmp.Or(g.tagAction, "sts:TagSession"))
	}
	if g.sourceIdentity != nil {
		out = append(out, "sts:SetSourceIdentity")
	}
	return out
}

// addContext adds the grant's condition keys (lower-cased): aws:RequestTag/*, aws:TagKeys,
// sts:TransitiveTagKeys and sts:SourceIdentity.
func (g *sessionGrant) addContext(m map[string][]string) {
	if g.sourceIdentity != nil {
		m["sts:sourceidentity"] = []string{*g.sourceIdentity}
	}
	if len(g.transitive) > 0 {
		m["sts:transitivetagkeys"] = g.transitive
	}
	if len(g.tags) > 0 {
		keys := make([]string, 0, len(g.tags))
		for _, t := range g.tags {
			k := protocol.ToString(t.Key)
			keys = append(keys, k)
			m["aws:requesttag/"+strings.ToLower(k)] = []string{protocol.ToString(t.Value)}
		}
		m["aws:tagkeys"] = keys
	}
}

// authorizeGrant evaluates the permission-only actions of a grant against the caller's identity-based
// policies (with boundary and session policies) on resource, for operations whose own action the
// authorizer already evaluated with the same policies (GetFederationToken: the federated user's ARN).
// Root may do anything in its own account. Without Policies (tests of the service alone) no identity
// policy is consulted, as for AssumeRole.
func (s *Service) authorizeGrant(ctx context.Context, c *reqctx.Caller, g *sessionGrant, resource string) error {
	actions := g.actions()
	if len(actions) == 0 || c.Kind == reqctx.CallerRoot || s.o.Policies == nil {
		return nil
	}
	set, err := s.o.Policies.CallerSet(ctx, c)
	if err != nil {
		return fmt.Errorf("loading the caller's policies: %w", err)
	}
	reqCtx, release := s.o.Policies.RequestContext(ctx)
	defer release()
	g.addContext(reqCtx)
	p := policy.Principal{ARN: c.ARN, AccountID: c.AccountID}
	for _, action := range actions {
		d := policy.Evaluate(&policy.Request{Action: action, Resource: resource, Principal: p, Context: reqCtx}, set)
		if !d.Allowed() {
			return accessDenied(policy.AccessDeniedMessage(c.ARN, action, resource, &d))
		}
	}
	return nil
}

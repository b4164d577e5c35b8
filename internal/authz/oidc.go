package authz

import (
	"context"
	"fmt"
	"strings"

	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/storage"
)

// oidcProviderARN is the resource of an operation naming an OpenID Connect provider by ARN: the provider as
// stored (its name in the stored case, with its tags as aws:ResourceTag/*), since the service finds it
// whatever the case the ARN spells its URL in while policies match ARNs case-sensitively. An ARN of
// another account, or of no provider, is evaluated as given (the service then answers NoSuchEntity).
// Only the OIDC provider operations come here, so the read costs no other request anything.
func (a *Authorizer) oidcProviderARN(ctx context.Context, p, acct, arn string, buf *ctxBuf) (string, error) {
	prefix := ids.IAMARN(p, acct, ids.KindOIDCProvider, "/", "")
	name, ok := strings.CutPrefix(arn, prefix)
	if !ok || name == "" {
		return arn, nil
	}
	var r *storage.Resource
	err := a.o.Store.View(ctx, func(tx storage.Tx) error {
		var err error
		r, err = tx.GetResource(ctx, acct, storage.ResourceOIDCProvider, name)
		if isNotFound(err) {
			r, err = nil, nil
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("reading OIDC provider %s: %w", arn, err)
	}
	if r == nil {
		return arn, nil
	}
	for _, t := range r.Tags {
		k := strings.ToLower(t.Key)
		buf.m["aws:resourcetag/"+k] = []string{t.Value}
		buf.m["iam:resourcetag/"+k] = []string{t.Value}
	}
	if r.Name != name {
		buf.shown = arn
	}
	return prefix + r.Name, nil
}

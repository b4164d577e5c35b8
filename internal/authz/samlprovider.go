package authz

import (
	"context"
	"strings"

	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/storage"
)

// samlProviderResource is the resource of an operation on a SAML provider. CreateSAMLProvider acts on the
// ARN of the provider it names. The others name a provider by ARN; the provider, found by name as the
// service finds it (case-insensitively), is evaluated under its stored ARN with its tags
// (aws:ResourceTag/*), so a Deny on saml-provider/Okta also stops a request spelling it OKTA. An ARN naming
// no provider of the account is evaluated as given (the service answers NoSuchEntity). SAML operations are
// rare, so this reads the store directly rather than through a cache.
func (a *Authorizer) samlProviderResource(ctx context.Context, p, acct, op string, x input, buf *ctxBuf) (string, error) {
	if op == "CreateSAMLProvider" {
		return ids.IAMARN(p, acct, ids.KindSAMLProvider, "/", x.str(fName)), nil
	}
	arn := x.str(fSAMLProviderArn)
	name, ok := strings.CutPrefix(arn, "arn:"+p+":iam::"+acct+":"+ids.KindSAMLProvider+"/")
	if !ok || name == "" || strings.ContainsRune(name, '/') {
		return arn, nil
	}
	var r *storage.Resource
	err := a.o.Store.View(ctx, func(tx storage.Tx) error {
		var err error
		r, err = tx.GetResource(ctx, acct, storage.ResourceSAMLProvider, name)
		if isNotFound(err) {
			r, err = nil, nil
		}
		return err
	})
	if err != nil {
		return "", err
	}
	if r == nil {
		return arn, nil
	}
	for _, t := range r.Tags {
		k := strings.ToLower(t.Key)
		buf.set("aws:resourcetag/"+k, t.Value)
		buf.set("iam:resourcetag/"+k, t.Value)
	}
	stored := ids.IAMARN(p, acct, ids.KindSAMLProvider, "/", r.Name)
	if stored != arn {
		buf.shown = arn
	}
	return stored, nil
}

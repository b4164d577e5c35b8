package auth

import (
	"context"
	"errors"

	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/sigv4"
)

// LocalStack's conventions (its documentation, "Credentials"): suites written for LocalStack sign with the
// key pair test/test, which LocalStack maps to its default account 000000000000. Dev mode does the same
// for that key, so that the account IDs such a suite expects in ARNs are the ones it gets.
const (
	LocalStackAccessKeyID = "test"
	LocalStackAccountID   = "000000000000"
)

// devAccountOf is the account a dev-mode key acts in: the account a 12-digit key ID names (moto and
// LocalStack both treat such a key as the account number), LocalStack's default account for its key
// "test", else the default account.
func devAccountOf(keyID, defaultAccount string) string {
	switch {
	case ids.IsAccountID(keyID):
		return keyID
	case keyID == LocalStackAccessKeyID:
		return LocalStackAccountID
	}
	return defaultAccount
}

// isMissingAuthentication reports whether err says a request carries no signature at all.
func isMissingAuthentication(err error) bool {
	var se *sigv4.Error
	return errors.As(err, &se) && se.Code == sigv4.CodeMissingAuthenticationToken
}

// unsignedDevRequest authenticates a request with no signature at all, in dev mode, as the dev user of the
// default account (LocalStack answers such requests too). The region is the endpoint's: there is no
// credential scope to name another.
func (a *Authenticator) unsignedDevRequest(ctx context.Context, ep Endpoint) (*Result, error) {
	res, err := a.devCaller(ctx, "", endpointPartition(ep))
	if err != nil {
		return nil, err
	}
	res.Region = ep.Region
	if res.Region == "" {
		res.Region = "us-east-1"
	}
	if err := a.checkRegion(ctx, res.Caller, ep); err != nil {
		return nil, err
	}
	return res, nil
}

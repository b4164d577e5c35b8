package sigv4

import (
	"net/http"
	"strings"
)

// Error is an authentication failure with AWS's code, HTTP status and message. The server writes it in the
// protocol of the endpoint (awsQuery XML or rest-json). It never carries a secret access key, but like AWS
// some IncompleteSignature messages echo the client's Authorization header back to it: log Code, not
// Message.
type Error struct {
	Code       string
	HTTPStatus int
	Message    string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Error codes AWS returns from request authentication.
const (
	CodeMissingAuthenticationToken = "MissingAuthenticationToken"
	CodeIncompleteSignature        = "IncompleteSignature"
	CodeSignatureDoesNotMatch      = "SignatureDoesNotMatch"
	CodeInvalidClientTokenID       = "InvalidClientTokenId"
	CodeExpiredToken               = "ExpiredToken"
)

// Messages AWS uses verbatim.
const (
	msgMissingAuthenticationToken = "Request is missing Authentication Token"
	msgSignatureDoesNotMatch      = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgInvalidClientTokenID = "The security token included in the request is invalid."
	msgExpiredToken         = "The security token included in the request is expired"
	msgHostNotSigned        = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
	msgOneAuthMechanism     = "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, " +
		"Signature query string parameter or the Authorization header should be specified"
)

func missingAuthenticationToken() *Error {
	return &Error{CodeMissingAuthenticationToken, http.StatusForbidden, msgMissingAuthenticationToken}
}

func incomplete(msg string) *Error {
	return &Error{CodeIncompleteSignature, http.StatusBadRequest, msg}
}

func doesNotMatch(msg string) *Error {
	return &Error{CodeSignatureDoesNotMatch, http.StatusForbidden, msg}
}

// SignatureDoesNotMatch is the error for a signature that does not verify.
func SignatureDoesNotMatch() *Error { return doesNotMatch(msgSignatureDoesNotMatch) }

// InvalidClientTokenID is the error for an unknown access key, or an ASIA key without (or with a wrong)
// session token. The auth layer returns it after Parse when the key lookup fails.
func InvalidClientTokenID() *Error {
	return &Error{CodeInvalidClientTokenID, http.StatusForbidden, msgInvalidClientTokenID}
}

// ExpiredToken is the error for a session token past its expiration.
func ExpiredToken() *Error {
	return &Error{CodeExpiredToken, http.StatusForbidden, msgExpiredToken}
}

// missingParts builds AWS's IncompleteSignature message for an Authorization header that lacks parameters:
// one sentence per missing part, then the header as received.
func missingParts(credential, signature, signedHeaders, date bool, header string) *Error {
	var b strings.Builder
	if credential {
		b.WriteString("Authorization header requires 'Credential' parameter. ")
	}
	if signature {
		b.WriteString("Authorization header requires 'Signature' parameter. ")
	}
	if signedHeaders {
		b.WriteString("Authorization header requires 'SignedHeaders' parameter. ")
	}
	if date {
		b.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
	}
	b.WriteString("Authorization=")
	b.WriteString(header)
	return incomplete(b.String())
}

package audit

import "errors"

// ErrInvalidToken is what History.Lookup returns for a Query.After it did not make (LookupEvents answers
// InvalidNextTokenException).
var ErrInvalidToken = errors.New("audit: invalid continuation token")

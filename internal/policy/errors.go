package policy

import "errors"

// ErrMalformed is matched (errors.Is) by every error Parse returns; the error's message is the text IAM puts
// in its MalformedPolicyDocument error.
var ErrMalformed = errors.New("malformed policy document")

// MalformedError is a policy document rejected by Parse. Message is AWS's wording, to be returned to the
// client as the message of a MalformedPolicyDocument error.
type MalformedError struct {
	Message string
}

func (e *MalformedError) Error() string { return e.Message }

// Is makes errors.Is(err, ErrMalformed) true.
func (e *MalformedError) Is(target error) bool { return target == ErrMalformed }

func malformed(msg string) error { return &MalformedError{Message: msg} }

// The messages IAM returns for malformed documents, as users quote them from real AWS.
const (
	msgSyntax             = "Syntax errors in policy."
	msgLegacy             = "The policy failed legacy parsing"
	msgNoPrincipalAllowed = "Policy document should not specify a principal."
	msgMissingPrincipal   = "Missing required field Principal"
	msgMissingEffect      = "Missing required field Effect"
	msgMissingStatement   = "Missing required field Statement"
	msgNoActions          = "Policy statement must contain actions."
	msgNoResources        = "Policy statement must contain resources."
	msgResourceProhibited = "Has prohibited field Resource"
	msgVendor             = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgOneColon           = "Actions/Condition can contain only one colon."
	msgSidUnique          = "Statement IDs (SID) in a single policy must be unique"
	msgSidAlnum           = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
	msgTrustActions       = "AssumeRole policy may only specify STS AssumeRole actions."
)

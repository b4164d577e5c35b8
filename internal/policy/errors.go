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

// The messages IAM returns for malformed documents, one per validation stage (see Parse), as AWS words
// them. Resource format messages name the resource and are built where they are found (stages.go).
const (
	// Stage 1, syntax: anything the grammar does not allow.
	msgSyntax = "Syntax errors in policy."
	// A role trust policy that is not JSON at all.
	msgInvalidJSON = "This policy contains invalid Json"
	// Stage 2, for identity-based policies only.
	msgVersion = "Policy document must be version 2012-10-17 or greater."
	// Stage 3: what IAM's older parser refuses.
	msgLegacy = "The policy failed legacy parsing"
	// Stage 4.
	msgSidAlnum  = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
	msgSidUnique = "Statement IDs (SID) in a single policy must be unique."
	// Stage 5.
	msgNoActions = "Policy statement must contain actions."
	// Stage 6 (the others name the resource).
	msgResourceVendor = "Resource vendor must be fully qualified and cannot contain regexes."
	// Stage 7.
	msgVendor   = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgOneColon = "Actions/Condition can contain only one colon."
	// Stage 8, identity-based policies.
	msgNoResources = "Policy statement must contain resources."
	// Stage 9: the rules of the policy's kind.
	msgNoPrincipalAllowed = "Policy document should not specify a principal."
	msgNoPrincipals       = "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"
	msgTrustActions       = "AssumeRole policy may only specify STS AssumeRole actions."
	msgResourceProhibited = "Has prohibited field Resource"
	msgNotResourceProhib  = "Has prohibited field NotResource"
)

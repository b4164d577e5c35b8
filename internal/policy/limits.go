package policy

// Limits of the parser. IAM's own size quotas (2048, 6144, 10240 characters) are enforced by the callers with
// Size; these only protect the process from hostile input.
const (
	// maxDepth bounds JSON nesting; a real policy nests at most five levels
	// (document, statement list, statement, condition, operator block, value list).
	maxDepth = 32
	// maxDocumentBytes is the longest document any IAM or STS operation accepts: policyDocumentType
	// allows 131072 characters of U+0009–U+00FF, at most two bytes each in UTF-8. Parsing holds about 70
	// bytes per byte of a pathological document (a node per JSON value), so a caller that forgets to check
	// the size cannot make one parse hold more than some 18 MB.
	maxDocumentBytes = 2 * 131072
)

// Policy language versions.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

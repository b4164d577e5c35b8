package policy

// Limits of the parser. IAM's own size quotas (2048, 6144, 10240 characters) are enforced by the callers with
// Size; these only protect the process from hostile input.
const (
	// maxDepth bounds JSON nesting; a real policy nests at most five levels
	// (document, statement list, statement, condition, operator block, value list).
	maxDepth = 32
	// maxDocumentBytes is far above any IAM quota (the largest is 10240 characters of at most 2 bytes each
	// once whitespace is counted), so a caller that forgets to check the size cannot make us parse megabytes.
	maxDocumentBytes = 1 << 20
)

// Policy language versions.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

package cloudtrail

// Limits of LookupEvents.
const (
	// defaultMaxResults is the page size when the request names none, and maxResults the largest a request
	// may ask for: the CloudTrail API Reference gives MaxResults the range 1 to 50 and a default of 50.
	defaultMaxResults = 50
	maxResults        = 50
	// maxNextTokenLength bounds the NextToken a request may carry before it is decoded. A token iamd issues
	// is the sealed position of a page (a few dozen bytes of cursor plus the seal's 30) in base64; 2 KiB
	// leaves room for any cursor a store writes and keeps a forged token from costing more than a check.
	maxNextTokenLength = 2048
)

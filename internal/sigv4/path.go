package sigv4

import "strings"

// NormalizePath returns the path of a request (escaped, as sent) as it enters the canonical request of a
// service other than S3: dot segments removed as RFC 3986 section 5.2.4 "Remove Dot Segments" says, and
// runs of slashes collapsed to one. AWS computes the canonical URI this way ("Create a canonical request"
// in the IAM User Guide's Signature Version 4 pages: "Normalize URI paths according to RFC 3986. Remove
// redundant and relative path components"), and so do botocore and the JavaScript SDK when they sign, so
// a request signed for "/" still verifies when a proxy forwards it to "//" (HashiCorp Vault's AWS auth
// method replays a client's signed GetCallerIdentity that way). The server routes on the same normalised
// path, so what the signature covers is what is served.
//
// The work is on the escaped form: "%2E%2E" is a segment named by its escapes, not "..", and "%2F" does
// not split a segment, as in botocore. An empty path is "/"; a trailing slash is kept when something is
// left before it.
func NormalizePath(p string) string {
	if p == "" {
		return "/"
	}
	if isNormalPath(p) {
		return p
	}
	var segs []string
	for s := range strings.SplitSeq(p, "/") {
		switch s {
		case "", ".":
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
		default:
			segs = append(segs, s)
		}
	}
	out := strings.Join(segs, "/")
	if p[0] == '/' {
		out = "/" + out
	}
	if len(segs) > 0 && p[len(p)-1] == '/' {
		out += "/"
	}
	if out == "" {
		return "/" // a relative path with nothing left ("."), which no HTTP request carries
	}
	return out
}

// isNormalPath reports whether p needs no normalising: it starts with a slash and has no empty, "." or
// ".." segment (a trailing slash aside). Almost every request's path is "/" or "/opName".
func isNormalPath(p string) bool {
	if p[0] != '/' {
		return false
	}
	for i := 1; i <= len(p); i++ {
		// The segment starting at i runs to the next slash or the end.
		j := strings.IndexByte(p[i:], '/')
		if j < 0 {
			j = len(p) - i
		}
		switch s := p[i : i+j]; s {
		case ".", "..":
			return false
		case "":
			if i+j != len(p) { // an empty segment is only allowed as the end after a trailing slash
				return false
			}
		}
		i += j
	}
	return true
}

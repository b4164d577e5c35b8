package console

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
)

// listFilter is a list page's filter: a name prefix (compared without case, as IAM names are unique
// without case) and a path prefix, which the List operation applies itself.
type listFilter struct {
	Name, Path string
}

func (x *exchange) listFilter() listFilter {
	q := x.r.URL.Query()
	return listFilter{Name: strings.TrimSpace(q.Get("name")), Path: strings.TrimSpace(q.Get("path"))}
}

// pathPrefix is the filter's path prefix for a List operation's PathPrefix (nil: every path).
func (f listFilter) pathPrefix() *string {
	if f.Path == "" {
		return nil
	}
	return &f.Path
}

// filteredList reads one page of a list through fetch (the List operation from a marker, at most max
// entities), keeping the entities whose name has the filter's prefix. Without a name filter it is one
// call of listPageSize. With one it reads up to filterScanItems at a time until it has at least a page's
// worth (it keeps every match of the last read, whose marker is where the next page starts) or has read
// scan entities. It returns the next page's URL ("" at the end).
func filteredList[T any](x *exchange, f listFilter, scan int32, name func(*T) string,
	fetch func(marker *string, max int32) ([]T, *string, error)) ([]T, string, error) {
	marker := x.marker()
	if f.Name == "" {
		items, next, err := fetch(marker, listPageSize)
		if err != nil {
			return nil, "", err
		}
		return items, x.nextURL(next), nil
	}
	var kept []T
	prefix := strings.ToLower(f.Name)
	for read := int32(0); read < scan; {
		n := min(filterScanItems, scan-read)
		items, next, err := fetch(marker, n)
		if err != nil {
			return nil, "", err
		}
		read += n
		for i := range items {
			if strings.HasPrefix(strings.ToLower(name(&items[i])), prefix) {
				kept = append(kept, items[i])
			}
		}
		marker = next
		if marker == nil || *marker == "" || len(kept) >= listPageSize {
			break
		}
	}
	return kept, x.nextURL(marker), nil
}

// moreMarker is a List response's marker when it says more follow (nil otherwise).
func moreMarker(truncated *bool, marker *string) *string {
	if truncated == nil || !*truncated {
		return nil
	}
	return marker
}

// policyText shows a policy document as IAM returns it (percent-encoded) for reading and editing:
// decoded, and indented when it is JSON.
func policyText(encoded *string) string {
	if encoded == nil {
		return ""
	}
	doc, err := url.PathUnescape(*encoded)
	if err != nil {
		doc = *encoded
	}
	var buf bytes.Buffer
	if json.Indent(&buf, []byte(doc), "", "  ") == nil {
		return buf.String()
	}
	return doc
}

// formLines is a textarea's lines, trimmed, without the empty ones.
func formLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// optional is a form field for an optional member: nil when empty.
func optional(s string) *string {
	if s = strings.TrimSpace(s); s == "" {
		return nil
	}
	return &s
}

// str is an API output's optional string, "" for nil.
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Package audittest holds an in-memory audit.History for tests of the CloudTrail API: it keeps the contract
// the store keeps (one account's events, newest first, one attribute, an inclusive time range, pages
// continued from an opaque position) and records the queries it was asked. Only tests import it.
package audittest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/iamd/iamd/internal/audit"
)

// History is an in-memory audit.History, safe for concurrent use.
type History struct {
	mu      sync.Mutex
	events  []audit.Event
	queries []audit.Query
	leak    *audit.Event
}

// Add appends events to the history.
func (h *History) Add(events ...audit.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, events...)
}

// Leak makes every page also answer e, whatever the query's account: a history that forgets the account.
func (h *History) Leak(e audit.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.leak = &e
}

// Queries returns the queries asked so far.
func (h *History) Queries() []audit.Query {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.queries)
}

// positionPrefix starts every position the history hands out.
const positionPrefix = "pos:"

// Lookup implements audit.History. An unknown position is an error, as a store finds no such row.
func (h *History) Lookup(_ context.Context, q audit.Query) (audit.Page, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.queries = append(h.queries, q)
	var sel []audit.Event
	for _, e := range h.events {
		if e.AccountID == q.AccountID && Matches(e, q.Attribute, q.Value) &&
			(q.Start.IsZero() || !e.EventTime.Before(q.Start)) && (q.End.IsZero() || !e.EventTime.After(q.End)) {
			sel = append(sel, e)
		}
	}
	slices.SortFunc(sel, func(a, b audit.Event) int {
		if c := b.EventTime.Compare(a.EventTime); c != 0 {
			return c
		}
		return strings.Compare(b.EventID, a.EventID)
	})
	start := 0
	if q.After != "" {
		i := slices.IndexFunc(sel, func(e audit.Event) bool { return positionPrefix+e.EventID == q.After })
		if i < 0 {
			return audit.Page{}, fmt.Errorf("audittest: unknown position %q", q.After)
		}
		start = i + 1
	}
	end := min(start+max(q.Limit, 0), len(sel))
	p := audit.Page{Events: slices.Clone(sel[start:end])}
	if end < len(sel) && end > start {
		p.Next = positionPrefix + sel[end-1].EventID
	}
	if h.leak != nil {
		p.Events = append([]audit.Event{*h.leak}, p.Events...)
	}
	return p, nil
}

// Matches reports whether e has value for the lookup attribute attr ("" matches every event).
func Matches(e audit.Event, attr audit.Attribute, value string) bool {
	switch attr {
	case "":
		return true
	case audit.AttrEventID:
		return e.EventID == value
	case audit.AttrEventName:
		return e.EventName == value
	case audit.AttrReadOnly:
		return strconv.FormatBool(e.ReadOnly) == value
	case audit.AttrUsername:
		return e.Username == value
	case audit.AttrEventSource:
		return e.EventSource == value
	case audit.AttrAccessKeyID:
		return e.AccessKeyID == value
	case audit.AttrResourceType, audit.AttrResourceName:
		for _, r := range e.Resources {
			if attr == audit.AttrResourceType && r.Type == value || attr == audit.AttrResourceName && r.Name == value {
				return true
			}
		}
	}
	return false
}

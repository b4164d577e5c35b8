// Package cloudtrail implements the CloudTrail API's event history over iamd's trail: LookupEvents reads
// the caller's own account's events through an audit.History, filtered by one lookup attribute and a time
// range, newest first, in pages continued by an opaque NextToken. Every other CloudTrail operation answers
// NotImplemented (cloudtrailapi.Unimplemented).
package cloudtrail

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/iamd/iamd/internal/api/cloudtrailapi"
	"github.com/iamd/iamd/internal/audit"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/secrets"
)

// Options configure the service.
type Options struct {
	// History is the trail LookupEvents reads; required.
	History audit.History
	// Sealer seals NextTokens, so a token is opaque and valid only for the account and query that
	// received it (on every node sharing the master key); required.
	Sealer *secrets.Sealer
	Logger *slog.Logger
}

// Service implements cloudtrailapi.Service.
type Service struct {
	cloudtrailapi.Unimplemented
	o Options
}

// New returns the CloudTrail service.
func New(o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Service{o: o}
}

func init() {
	// The model's constraints on LookupEvents (the attribute key's enum, the value's length, MaxResults'
	// range, EventCategory's enum) are answered with the exceptions the API Reference lists for them rather
	// than a generic ValidationException.
	cloudtrailapi.Info.NewValidationError = validationError
}

// validationError maps a model constraint failure to the exception of the member that failed.
func validationError(msg string, fields []protocol.FieldError) error {
	if len(fields) > 0 {
		switch first, _, _ := strings.Cut(fields[0].Path, "."); first {
		case "lookupAttributes":
			return cloudtrailapi.NewInvalidLookupAttributesException(msg)
		case "maxResults":
			return cloudtrailapi.NewInvalidMaxResultsException(msg)
		case "eventCategory":
			return cloudtrailapi.NewInvalidEventCategoryException(msg)
		}
	}
	return &protocol.Error{Code: "ValidationException", Message: msg, Fields: fields}
}

// Messages of LookupEvents' refusals. The API Reference names the exceptions and their conditions, not
// their wording.
const (
	msgOneAttribute = "You can specify only one lookup attribute."
	msgTimeRange    = "Start time must be equal to or earlier than end time."
	msgNextToken    = "Invalid NextToken."
)

// LookupEvents answers a page of the caller's account's events, newest first.
func (s *Service) LookupEvents(ctx context.Context, in *cloudtrailapi.LookupEventsRequest) (*cloudtrailapi.LookupEventsResponse, error) {
	c := reqctx.From(ctx).Caller
	if c == nil || c.AccountID == "" {
		return nil, errors.New("cloudtrail: LookupEvents without an authenticated caller")
	}
	if err := protocol.ValidateInput(in); err != nil {
		return nil, err // the server validated already; a direct call gets the same answers
	}
	q := audit.Query{AccountID: c.AccountID, Limit: defaultMaxResults}
	switch len(in.LookupAttributes) {
	case 0:
	case 1:
		q.Attribute = audit.Attribute(protocol.ToString(in.LookupAttributes[0].AttributeKey))
		q.Value = protocol.ToString(in.LookupAttributes[0].AttributeValue)
	default:
		return nil, cloudtrailapi.NewInvalidLookupAttributesException(msgOneAttribute)
	}
	if in.StartTime != nil {
		q.Start = *in.StartTime
	}
	if in.EndTime != nil {
		q.End = *in.EndTime
	}
	if !q.Start.IsZero() && !q.End.IsZero() && q.Start.After(q.End) {
		return nil, cloudtrailapi.NewInvalidTimeRangeException(msgTimeRange)
	}
	if in.MaxResults != nil {
		q.Limit = int(*in.MaxResults)
	}
	category := protocol.ToString(in.EventCategory)
	binding := tokenBinding(q, category)
	if in.NextToken != nil {
		after, err := s.openToken(*in.NextToken, binding)
		if err != nil {
			return nil, err
		}
		q.After = after
	}
	out := &cloudtrailapi.LookupEventsResponse{Events: []cloudtrailapi.Event{}}
	// iamd records management events only: a lookup of Insights events finds none, and a ReadOnly value
	// other than true or false matches no event.
	if category == cloudtrailapi.EventCategoryInsight ||
		q.Attribute == audit.AttrReadOnly && q.Value != "true" && q.Value != "false" {
		return out, nil
	}
	page, err := s.o.History.Lookup(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("looking up the events of account %s: %w", q.AccountID, err)
	}
	for i := range page.Events {
		e := &page.Events[i]
		if e.AccountID != q.AccountID {
			// Never another account's event, whatever the history answers.
			s.o.Logger.ErrorContext(ctx, "the trail answered an event of another account", "event_id", e.EventID)
			continue
		}
		if len(out.Events) == q.Limit {
			break
		}
		out.Events = append(out.Events, eventOf(e))
	}
	if page.Next != "" {
		tok, err := s.sealToken(page.Next, binding)
		if err != nil {
			return nil, err
		}
		out.NextToken = &tok
	}
	return out, nil
}

func eventOf(e *audit.Event) cloudtrailapi.Event {
	t := e.EventTime.UTC()
	ev := cloudtrailapi.Event{
		EventId:         protocol.String(e.EventID),
		EventName:       protocol.String(e.EventName),
		ReadOnly:        protocol.String(strconv.FormatBool(e.ReadOnly)),
		EventTime:       &t,
		EventSource:     protocol.String(e.EventSource),
		Resources:       make([]cloudtrailapi.Resource, 0, len(e.Resources)),
		CloudTrailEvent: protocol.String(string(e.Record)),
	}
	if e.AccessKeyID != "" {
		ev.AccessKeyId = protocol.String(e.AccessKeyID)
	}
	if e.Username != "" {
		ev.Username = protocol.String(e.Username)
	}
	for _, r := range e.Resources {
		ev.Resources = append(ev.Resources, cloudtrailapi.Resource{ResourceType: protocol.String(r.Type), ResourceName: protocol.String(r.Name)})
	}
	return ev
}

// tokenPurpose starts the associated data of every NextToken, so no other value iamd seals opens as one.
const tokenPurpose = "cloudtrail:LookupEvents:NextToken:v1"

// tokenBinding is what a NextToken is valid for: the account, the lookup attribute and its value, the
// time range and the event category. CloudTrail refuses a token used with other parameters; the page size
// may change from page to page.
func tokenBinding(q audit.Query, category string) []byte {
	b := []byte(tokenPurpose)
	for _, f := range []string{q.AccountID, string(q.Attribute), q.Value, category} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	for _, t := range []time.Time{q.Start, q.End} {
		if t.IsZero() {
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		b = binary.AppendVarint(b, t.Unix())
		b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
	}
	return b
}

func (s *Service) sealToken(after string, binding []byte) (string, error) {
	sealed, err := s.o.Sealer.Seal([]byte(after), binding)
	if err != nil {
		return "", fmt.Errorf("sealing a NextToken: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// openToken returns the position a NextToken continues from, refusing one iamd did not issue for this
// account and query.
func (s *Service) openToken(tok string, binding []byte) (string, error) {
	if tok == "" || len(tok) > maxNextTokenLength {
		return "", cloudtrailapi.NewInvalidNextTokenException(msgNextToken)
	}
	// Strict: one token has one spelling (no other trailing bits decode to the same seal).
	sealed, err := base64.RawURLEncoding.Strict().DecodeString(tok)
	if err != nil {
		return "", cloudtrailapi.NewInvalidNextTokenException(msgNextToken)
	}
	after, err := s.o.Sealer.Open(sealed, binding)
	if err != nil || len(after) == 0 {
		return "", cloudtrailapi.NewInvalidNextTokenException(msgNextToken)
	}
	return string(after), nil
}

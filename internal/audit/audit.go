// Package audit is iamd's trail of API calls: one event per request to IAM, STS or the Account API,
// allowed or refused, shaped as CloudTrail records it, kept in the store for a bounded retention and read
// back through the CloudTrail API's event history (LookupEvents).
//
// This file holds the shapes the two halves share: the recorder, which writes events through the store,
// and the CloudTrail service, which reads them with a Query.
package audit

import (
	"context"
	"time"
)

// Event is one recorded call as the event history keeps it: the fields LookupEvents filters and answers
// by, and the whole CloudTrail record as JSON.
type Event struct {
	// EventID is the record's eventID (a UUID), unique across the trail.
	EventID string
	// AccountID is the account whose trail holds the event (the record's recipientAccountId). A
	// cross-account call is recorded once for each account, as CloudTrail does.
	AccountID   string
	EventTime   time.Time
	EventSource string // "iam.amazonaws.com", "sts.amazonaws.com", "account.amazonaws.com"
	EventName   string // the operation, "CreateUser"
	ReadOnly    bool
	// Username is what LookupEvents' Username attribute matches: the IAM user's name, the role session's
	// name, "root" for the root user.
	Username    string
	AccessKeyID string
	Resources   []Resource
	// Record is the CloudTrail record as JSON (LookupEvents' CloudTrailEvent), secrets already redacted.
	Record []byte
}

// Resource is one resource an event names (LookupEvents' Resources): its type as CloudTrail names it
// ("AWS::IAM::User") and its name.
type Resource struct {
	Type string
	Name string
}

// Attribute is a lookup attribute of LookupEvents: the history is filtered by one at a time.
type Attribute string

// The lookup attributes of the CloudTrail API.
const (
	AttrEventID      Attribute = "EventId"
	AttrEventName    Attribute = "EventName"
	AttrReadOnly     Attribute = "ReadOnly"
	AttrUsername     Attribute = "Username"
	AttrResourceType Attribute = "ResourceType"
	AttrResourceName Attribute = "ResourceName"
	AttrEventSource  Attribute = "EventSource"
	AttrAccessKeyID  Attribute = "AccessKeyId"
)

// Query selects events of one account, newest first.
type Query struct {
	AccountID string
	// Attribute and Value filter by one lookup attribute; Attribute "" selects every event. For
	// AttrReadOnly, Value is "true" or "false".
	Attribute Attribute
	Value     string
	// Start and End bound EventTime (inclusive); a zero time leaves that side open.
	Start, End time.Time
	// Limit is the most events one page holds (the caller bounds it).
	Limit int
	// After continues a listing from a Page.Next; "" starts at the newest event.
	After string
}

// Page is one page of a lookup: its events, newest first, and the position to continue from ("" when
// there is no more).
type Page struct {
	Events []Event
	Next   string
}

// History reads the trail. The store implements it; the CloudTrail service reads through it.
type History interface {
	Lookup(ctx context.Context, q Query) (Page, error)
}

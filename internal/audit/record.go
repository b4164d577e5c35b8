package audit

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/iamd/iamd/internal/ids"
	"github.com/iamd/iamd/internal/protocol"
	"github.com/iamd/iamd/internal/reqctx"
)

// EventVersion is the CloudTrail record format iamd writes.
const EventVersion = "1.11"

// Call is one request as the pipeline saw it at its end: what the record is built from.
type Call struct {
	Req *reqctx.Request
	// Op is the operation (nil when the request named none iamd knows); In and Out its decoded input
	// and its output (nil when it failed or never ran).
	Op      *protocol.Operation
	In, Out any
	// ErrorCode and ErrorMessage are the error answered ("" for success).
	ErrorCode, ErrorMessage string
	// AccessKeyID is the access key the request was signed with, when authentication failed (the caller
	// is then nil): failed attempts are recorded in the account the key names.
	AccessKeyID string
	// TLS: the negotiated version and cipher suite ("" without TLS) and the Host header the client sent.
	TLSVersion, CipherSuite, Host string
	// BodyBytes is the size of the request body In was decoded from: what the recorder's queue bounds
	// the held inputs by (maxQueuedBodyBytes).
	BodyBytes int
}

// Recipients are the accounts whose trails record the call: the caller's (or, unauthenticated, the
// account its access key names, else the role's for AssumeRoleWithSAML and AssumeRoleWithWebIdentity,
// else fallback), and the account the call reached across (the role's account of AssumeRole, the member
// account an Account API call names), as CloudTrail records a cross-account call for both.
func (c *Call) Recipients(fallback string) []string {
	return c.appendRecipients(nil, fallback)
}

// appendRecipients appends the recipients (Recipients) to dst: the writer reuses one slice.
func (c *Call) appendRecipients(dst []string, fallback string) []string {
	first := ""
	switch {
	case c.Req.Caller != nil:
		first = c.Req.Caller.AccountID
	case c.AccessKeyID != "":
		if a, err := ids.AccountFromAccessKeyID(c.AccessKeyID); err == nil {
			first = a
		}
	}
	other := targetAccount(c.Op, c.In)
	if first == "" {
		first = other
	}
	if first == "" {
		first = fallback
	}
	if first == "" {
		return dst
	}
	if other != "" && other != first {
		return append(dst, first, other)
	}
	return append(dst, first)
}

// targetAccount is the account a call names in its input: the role's account (RoleArn) or an Account API
// AccountId.
func targetAccount(op *protocol.Operation, in any) string {
	if op == nil || in == nil {
		return ""
	}
	if arn := inputString(op.Input, in, "RoleArn"); arn != "" {
		if a, err := ids.ParseARN(arn); err == nil && ids.IsAccountID(a.Account) {
			return a.Account
		}
		return ""
	}
	if a := inputString(op.Input, in, "AccountId"); ids.IsAccountID(a) {
		return a
	}
	return ""
}

// IDs are the event IDs of one call's events, one per recipient account, and the ID they share when
// there are several (sharedEventID).
type IDs struct {
	Accounts, Events []string
	Shared           string
}

// NewIDs gives the events of a call made at t in the recipients' trails their IDs.
func NewIDs(recipients []string, t time.Time) IDs {
	return newIDsIn(recipients, make([]string, 0, len(recipients)), t)
}

// newIDsIn is NewIDs with the event IDs appended to events[:0] (the writer reuses one slice).
func newIDsIn(recipients, events []string, t time.Time) IDs {
	x := IDs{Accounts: recipients, Events: events[:0]}
	for range recipients {
		x.Events = append(x.Events, NewEventID(t))
	}
	if len(recipients) > 1 {
		x.Shared = ids.NewRequestID()
	}
	return x
}

// Build makes the call's events, one per recipient account. A preliminary build (final false) is what a
// write stores in its own transaction: everything but the outcome, which only the final build knows.
func Build(c *Call, x IDs, final bool) []Event {
	evs := make([]Event, len(x.Accounts))
	for i, acct := range x.Accounts {
		evs[i] = c.event(acct, x.Events[i], x.Shared, final)
	}
	return evs
}

// event builds the event of the call in one account's trail.
func (c *Call) event(acct, eventID, shared string, final bool) Event {
	b, ev := c.appendEvent(make([]byte, 0, 1024), acct, eventID, shared, final)
	ev.Record = b
	return ev
}

// appendEvent appends the record of the call's event in acct's trail to b and returns the event's other
// fields (Record unset): the writer builds a batch's records into one buffer.
func (c *Call) appendEvent(b []byte, acct, eventID, shared string, final bool) ([]byte, Event) {
	req := c.Req
	name := ""
	if c.Op != nil {
		name = c.Op.Name
	}
	source := eventSource(req.Service)
	ro := readOnly(name)
	ev := Event{EventID: eventID, AccountID: acct, EventTime: req.Time.UTC(), EventSource: source,
		EventName: name, ReadOnly: ro}
	ev.Username, ev.AccessKeyID = usernameOf(req.Caller, c), c.AccessKeyID
	if req.Caller != nil {
		ev.AccessKeyID = req.Caller.AccessKeyID
	}
	if c.Op != nil && c.In != nil {
		ev.Resources = resourcesOf(c.Op.Input, c.In)
	}
	if final && c.Op != nil && c.Out != nil {
		ev.Resources = append(ev.Resources, outputResources(c.Op.Output, c.Out)...)
	}

	b = append(b, `{"eventVersion":"`+EventVersion+`","userIdentity":`...)
	b = c.appendIdentity(b, acct)
	b = append(b, `,"eventTime":`...)
	b = appendTime(b, ev.EventTime, time.RFC3339)
	b = append(b, `,"eventSource":`...)
	b = appendString(b, source)
	b = append(b, `,"eventName":`...)
	b = appendString(b, name)
	b = append(b, `,"awsRegion":`...)
	b = appendString(b, req.Region)
	b = append(b, `,"sourceIPAddress":`...)
	b = appendString(b, req.SourceIP)
	b = append(b, `,"userAgent":`...)
	b = appendString(b, truncate(req.UserAgent, maxUserAgentBytes))
	if final && c.ErrorCode != "" {
		b = append(b, `,"errorCode":`...)
		b = appendString(b, c.ErrorCode)
		if c.ErrorMessage != "" {
			b = append(b, `,"errorMessage":`...)
			b = appendString(b, truncate(c.ErrorMessage, maxErrorMessageBytes))
		}
	}
	b = append(b, `,"requestParameters":`...)
	var truncated bool
	b, truncated = appendParameters(b, c.Op, c.In, true)
	b = append(b, `,"responseElements":`...)
	if final && c.ErrorCode == "" && c.Out != nil && c.Op != nil && hasResponseElements(name, ro) {
		var t bool
		b, t = appendParameters(b, c.Op, c.Out, false)
		truncated = truncated || t
	} else {
		b = append(b, "null"...)
	}
	if req.GlobalEndpoint || truncated {
		// Requests to the STS global endpoint carry where they were served and how they arrived (AWS STS
		// Regions and endpoints, "AWS STS global endpoint changes"): iamd serves them where it stands,
		// which it reports as the region the endpoint resolves to.
		b = append(b, `,"additionalEventData":{`...)
		sep := ""
		if req.GlobalEndpoint {
			b = append(b, `"endpointType":"global","awsServingRegion":`...)
			b = appendString(b, req.Region)
			sep = ","
		}
		if truncated {
			b = append(b, sep...)
			b = append(b, `"parametersOmitted":"too large"`...)
		}
		b = append(b, '}')
	}
	b = append(b, `,"requestID":`...)
	b = appendString(b, req.ID)
	b = append(b, `,"eventID":`...)
	b = appendString(b, eventID)
	b = append(b, `,"readOnly":`...)
	b = strconv.AppendBool(b, ro)
	b = append(b, `,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":`...)
	b = appendString(b, acct)
	if shared != "" {
		b = append(b, `,"sharedEventID":`...)
		b = appendString(b, shared)
	}
	b = append(b, `,"eventCategory":"Management"`...)
	if c.TLSVersion != "" {
		b = append(b, `,"tlsDetails":{"tlsVersion":`...)
		b = appendString(b, c.TLSVersion)
		b = append(b, `,"cipherSuite":`...)
		b = appendString(b, c.CipherSuite)
		b = append(b, `,"clientProvidedHostHeader":`...)
		b = appendString(b, truncate(c.Host, maxUserAgentBytes))
		b = append(b, '}')
	}
	return append(b, '}'), ev
}

// eventSource is the record's eventSource: the service's endpoint name (constants for the three the
// trail records, so that the writer does not build the same string for every event).
func eventSource(service string) string {
	switch service {
	case "iam":
		return "iam.amazonaws.com"
	case "sts":
		return "sts.amazonaws.com"
	case "account":
		return "account.amazonaws.com"
	}
	return service + ".amazonaws.com"
}

// readOnly reports whether CloudTrail marks an operation read-only: the ones that read (Get, List,
// Simulate, Decode) and the STS operations that only issue credentials.
func readOnly(op string) bool {
	for _, p := range [...]string{"Get", "List", "Simulate", "Decode", "AssumeRole"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

// hasResponseElements: CloudTrail writes responseElements for calls that change something, and for the
// STS calls that issue credentials (their credentials' key ID and expiration, the assumed role); a read's
// responseElements are null ("CloudTrail record contents").
func hasResponseElements(op string, ro bool) bool {
	if !ro {
		return true
	}
	switch op {
	case "GetSessionToken", "GetFederationToken", "GetWebIdentityToken":
		return true
	}
	return strings.HasPrefix(op, "AssumeRole")
}

// usernameOf is what LookupEvents' Username attribute matches: the user's name, the role session's name,
// the federated user's name, "root".
func usernameOf(c *reqctx.Caller, call *Call) string {
	if c == nil {
		return webUserName(call)
	}
	switch c.Kind {
	case reqctx.CallerRoot:
		return "root"
	case reqctx.CallerAssumedRole:
		return c.SessionName
	}
	return c.Name
}

// webUserName is the subject of a successful AssumeRoleWithWebIdentity or AssumeRoleWithSAML.
func webUserName(call *Call) string {
	if call.Op == nil || call.Out == nil {
		return ""
	}
	switch call.Op.Name {
	case "AssumeRoleWithWebIdentity":
		return inputString(call.Op.Output, call.Out, "SubjectFromWebIdentityToken")
	case "AssumeRoleWithSAML":
		return inputString(call.Op.Output, call.Out, "Subject")
	}
	return ""
}

// appendIdentity writes userIdentity as CloudTrail does ("CloudTrail userIdentity element"). In the
// trail of an account the call reached across, the caller is another account's (type AWSAccount).
func (c *Call) appendIdentity(b []byte, recipient string) []byte {
	k := c.Req.Caller
	if k == nil {
		return c.appendUnauthenticated(b)
	}
	if recipient != k.AccountID {
		b = append(b, `{"type":"AWSAccount","principalId":`...)
		b = appendString(b, k.UserID)
		b = append(b, `,"accountId":`...)
		b = appendString(b, k.AccountID)
		return append(b, '}')
	}
	typ := "IAMUser"
	switch k.Kind {
	case reqctx.CallerRoot:
		typ = "Root"
	case reqctx.CallerAssumedRole:
		typ = "AssumedRole"
	case reqctx.CallerFederatedUser:
		typ = "FederatedUser"
	}
	b = append(b, `{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","principalId":`...)
	b = appendString(b, k.UserID)
	b = append(b, `,"arn":`...)
	b = appendString(b, k.ARN)
	b = append(b, `,"accountId":`...)
	b = appendString(b, k.AccountID)
	b = append(b, `,"accessKeyId":`...)
	b = appendString(b, k.AccessKeyID)
	if k.Kind == reqctx.CallerUser {
		b = append(b, `,"userName":`...)
		b = appendString(b, k.Name)
	}
	if s := k.Session; s != nil {
		b = append(b, `,"sessionContext":{`...)
		if k.Kind == reqctx.CallerAssumedRole || k.Kind == reqctx.CallerFederatedUser {
			b = append(b, `"sessionIssuer":{"type":`...)
			kind, arn := "Role", ids.RoleARN(k.Partition, k.AccountID, k.PrincipalPath, k.PrincipalName)
			if k.Kind == reqctx.CallerFederatedUser {
				kind, arn = "IAMUser", ids.UserARN(k.Partition, k.AccountID, k.PrincipalPath, k.PrincipalName)
			}
			b = appendString(b, kind)
			b = append(b, `,"principalId":`...)
			b = appendString(b, k.PrincipalID)
			b = append(b, `,"arn":`...)
			b = appendString(b, arn)
			b = append(b, `,"accountId":`...)
			b = appendString(b, k.AccountID)
			b = append(b, `,"userName":`...)
			b = appendString(b, k.PrincipalName)
			b = append(b, `},`...)
		}
		b = append(b, `"attributes":{"creationDate":`...)
		b = appendTime(b, s.IssuedAt.UTC(), time.RFC3339)
		b = append(b, `,"mfaAuthenticated":"`...)
		b = strconv.AppendBool(b, s.MFA)
		b = append(b, `"}`...)
		if s.SourceIdentity != "" {
			b = append(b, `,"sourceIdentity":`...)
			b = appendString(b, s.SourceIdentity)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendUnauthenticated writes the identity of a call without an authenticated caller: the web identity
// or SAML user of AssumeRoleWithWebIdentity and AssumeRoleWithSAML, or a refused signature, of which
// only the access key it claimed is known.
func (c *Call) appendUnauthenticated(b []byte) []byte {
	name := ""
	if c.Op != nil {
		name = c.Op.Name
	}
	switch name {
	case "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML":
		typ, provider, user := "WebIdentityUser", "", webUserName(c)
		if name == "AssumeRoleWithSAML" {
			typ = "SAMLUser"
			provider = inputString(c.Op.Input, c.In, "PrincipalArn")
		} else if c.Out != nil {
			provider = inputString(c.Op.Output, c.Out, "Provider")
		}
		b = append(b, `{"type":"`...)
		b = append(b, typ...)
		b = append(b, `","principalId":`...)
		pid := user
		if provider != "" && user != "" {
			pid = provider + ":" + user
		}
		b = appendString(b, pid)
		b = append(b, `,"userName":`...)
		b = appendString(b, user)
		b = append(b, `,"identityProvider":`...)
		b = appendString(b, provider)
		return append(b, '}')
	}
	b = append(b, `{"type":"Unknown"`...)
	if c.AccessKeyID != "" {
		b = append(b, `,"accessKeyId":`...)
		b = appendString(b, c.AccessKeyID)
	}
	return append(b, '}')
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

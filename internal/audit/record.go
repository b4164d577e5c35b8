package audit

import (
	"slices"
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
	x := IDs{Accounts: recipients, Events: make([]string, 0, len(recipients))}
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
	var p eventParts
	c.fillParts(&p, acct, eventID, shared, final)
	ev := p.event()
	ev.Resources = slices.Clone(ev.Resources)
	ev.Record = p.appendRecord(make([]byte, 0, 1024))
	return ev
}

// eventContext is what a record shares with the other events of its caller: who called, from where,
// with what client, which operation. The stored form keeps it once per block (a dictionary entry) for
// all the events that share it.
type eventContext struct {
	readOnly                                  bool
	source, name, region, sourceIP, userAgent string
	// username and accessKeyID are lookup fields (LookupEvents' Username and AccessKeyId).
	username, accessKeyID string
	// tlsVersion is "" without TLS (no tlsDetails); host is the header as recorded (truncated).
	tlsVersion, cipherSuite, host string
	identity                      []byte // userIdentity, as JSON
}

// eventParts are the parts a record is written from (appendRecord): its context and what is the
// event's own. The stored form keeps these, never the JSON, and renders the record when it is read.
type eventParts struct {
	ctx                                 eventContext
	time                                time.Time
	eventID, requestID, shared, account string
	// errorCode and errorMessage (truncated) are set for a refused call's final event only.
	errorCode, errorMessage string
	params, response        []byte // requestParameters and responseElements, as JSON ("null" when none)
	global, truncated       bool
	resources               []Resource

	// newID: the event ID is idBytes, made by the writer (newEventID) and stored as they are; eventID is
	// "" until formatID.
	newID   bool
	idBytes [16]byte

	// identityOf is the caller ctx.identity was written for, when identityOK.
	identityOf identityKey
	identityOK bool
}

// identityKey is what of a caller its userIdentity shows (the session's strings and times that
// appendIdentity writes, the session itself left out), and the account whose trail the event is in.
type identityKey struct {
	caller         reqctx.Caller // Session nil
	acct           string
	session, mfa   bool
	issued         int64
	sourceIdentity string
}

// fillParts fills p (its buffers reused) with the parts of the call's event in acct's trail.
func (c *Call) fillParts(p *eventParts, acct, eventID, shared string, final bool) {
	req := c.Req
	name := ""
	if c.Op != nil {
		name = c.Op.Name
	}
	x := &p.ctx
	x.readOnly, x.source, x.name = readOnly(name), eventSource(req.Service), name
	x.region, x.sourceIP, x.userAgent = req.Region, req.SourceIP, truncate(req.UserAgent, maxUserAgentBytes)
	x.username, x.accessKeyID = usernameOf(req.Caller, c), c.AccessKeyID
	if req.Caller != nil {
		x.accessKeyID = req.Caller.AccessKeyID
	}
	x.tlsVersion, x.cipherSuite, x.host = c.TLSVersion, "", ""
	if c.TLSVersion != "" {
		x.cipherSuite, x.host = c.CipherSuite, truncate(c.Host, maxUserAgentBytes)
	}
	if k := req.Caller; k != nil {
		// A batch's events are mostly of a few callers: the identity written for the event before is
		// kept while the caller (what of it the identity shows) is the same.
		id := identityKey{caller: *k, acct: acct}
		if s := k.Session; s != nil {
			id.caller.Session = nil
			id.session, id.issued, id.mfa, id.sourceIdentity = true, s.IssuedAt.UnixNano(), s.MFA, s.SourceIdentity
		}
		if !p.identityOK || id != p.identityOf {
			x.identity = c.appendIdentity(x.identity[:0], acct)
			p.identityOf, p.identityOK = id, true
		}
	} else {
		x.identity = c.appendIdentity(x.identity[:0], acct)
		p.identityOK = false
	}

	p.time, p.eventID, p.requestID, p.shared, p.account = req.Time.UTC(), eventID, req.ID, shared, acct
	p.newID = false
	p.errorCode, p.errorMessage = "", ""
	if final && c.ErrorCode != "" {
		p.errorCode, p.errorMessage = c.ErrorCode, truncate(c.ErrorMessage, maxErrorMessageBytes)
	}
	p.resources = p.resources[:0]
	if c.Op != nil && c.In != nil {
		p.resources = appendResources(p.resources, c.Op.Input, c.In)
	}
	if final && c.Op != nil && c.Out != nil {
		p.resources = appendOutputResources(p.resources, c.Op.Output, c.Out)
	}
	var truncated bool
	p.params, truncated = appendParameters(p.params[:0], c.Op, c.In, true)
	p.response = p.response[:0]
	if final && c.ErrorCode == "" && c.Out != nil && c.Op != nil && hasResponseElements(name, x.readOnly) {
		var t bool
		p.response, t = appendParameters(p.response, c.Op, c.Out, false)
		truncated = truncated || t
	} else {
		p.response = append(p.response, "null"...)
	}
	p.global, p.truncated = req.GlobalEndpoint, truncated
}

// formatID sets eventID from idBytes (for a record written at once).
func (p *eventParts) formatID() {
	if p.newID {
		p.eventID, p.newID = ids.FormatUUID(p.idBytes), false
	}
}

// event is the event's lookup fields (Record unset; Resources is p's own slice).
func (p *eventParts) event() Event {
	x := &p.ctx
	return Event{EventID: p.eventID, AccountID: p.account, EventTime: p.time, EventSource: x.source, EventName: x.name,
		ReadOnly: x.readOnly, Username: x.username, AccessKeyID: x.accessKeyID, Resources: p.resources}
}

// appendRecord appends the CloudTrail record the parts make, as JSON: the one place records are written,
// whether at once (Build, the file sink) or from the stored form when the trail is read.
func (p *eventParts) appendRecord(b []byte) []byte {
	x := &p.ctx
	b = append(b, `{"eventVersion":"`+EventVersion+`","userIdentity":`...)
	b = append(b, x.identity...)
	b = append(b, `,"eventTime":`...)
	b = appendTime(b, p.time, time.RFC3339)
	b = append(b, `,"eventSource":`...)
	b = appendString(b, x.source)
	b = append(b, `,"eventName":`...)
	b = appendString(b, x.name)
	b = append(b, `,"awsRegion":`...)
	b = appendString(b, x.region)
	b = append(b, `,"sourceIPAddress":`...)
	b = appendString(b, x.sourceIP)
	b = append(b, `,"userAgent":`...)
	b = appendString(b, x.userAgent)
	if p.errorCode != "" {
		b = append(b, `,"errorCode":`...)
		b = appendString(b, p.errorCode)
		if p.errorMessage != "" {
			b = append(b, `,"errorMessage":`...)
			b = appendString(b, p.errorMessage)
		}
	}
	b = append(b, `,"requestParameters":`...)
	b = append(b, p.params...)
	b = append(b, `,"responseElements":`...)
	b = append(b, p.response...)
	if p.global || p.truncated {
		// Requests to the STS global endpoint carry where they were served and how they arrived (AWS STS
		// Regions and endpoints, "AWS STS global endpoint changes"): iamd serves them where it stands,
		// which it reports as the region the endpoint resolves to.
		b = append(b, `,"additionalEventData":{`...)
		sep := ""
		if p.global {
			b = append(b, `"endpointType":"global","awsServingRegion":`...)
			b = appendString(b, x.region)
			sep = ","
		}
		if p.truncated {
			b = append(b, sep...)
			b = append(b, `"parametersOmitted":"too large"`...)
		}
		b = append(b, '}')
	}
	b = append(b, `,"requestID":`...)
	b = appendString(b, p.requestID)
	b = append(b, `,"eventID":`...)
	b = appendString(b, p.eventID)
	b = append(b, `,"readOnly":`...)
	b = strconv.AppendBool(b, x.readOnly)
	b = append(b, `,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":`...)
	b = appendString(b, p.account)
	if p.shared != "" {
		b = append(b, `,"sharedEventID":`...)
		b = appendString(b, p.shared)
	}
	b = append(b, `,"eventCategory":"Management"`...)
	if x.tlsVersion != "" {
		b = append(b, `,"tlsDetails":{"tlsVersion":`...)
		b = appendString(b, x.tlsVersion)
		b = append(b, `,"cipherSuite":`...)
		b = appendString(b, x.cipherSuite)
		b = append(b, `,"clientProvidedHostHeader":`...)
		b = appendString(b, x.host)
		b = append(b, '}')
	}
	return append(b, '}')
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

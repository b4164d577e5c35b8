package audit

import "time"

// Limits of the trail, in one place.
const (
	// DefaultRetention is how long events are kept: CloudTrail's event history keeps 90 days ("Working
	// with CloudTrail event history").
	DefaultRetention = 90 * 24 * time.Hour

	// DefaultQueueSize bounds the events waiting to be written behind (reads, refusals and the final
	// form of writes). The writer empties the queue in batches every few milliseconds, so it fills only
	// when the store stalls: 16,384 calls are about a second of a busy node's traffic, and at 1 to 2 KiB
	// each (the request, its input and output) a full queue holds some 30 MiB. (The queue grows only as
	// far as calls wait: the bound costs nothing until the store stalls.) When it is full a new event is
	// dropped, counted in iamd_audit_events_dropped_total, rather than the request slowed: the request
	// path never waits for the trail. A write's event is safe all the same: its preliminary form is in the write's transaction.
	DefaultQueueSize = 16384

	// maxQueuedBodyBytes bounds the request bodies the queued calls were decoded from (Call.BodyBytes):
	// a queued call holds its decoded input, about the size of its body, and a body may be up to the
	// server's limit (1 MiB by default), so the count alone would let a stalled store hold 16 GiB of
	// inputs sent by callers who need not even authenticate. At the 1 to 2 KiB of a usual call the count
	// binds first; only large bodies meet this bound, and their events are dropped and counted the same.
	maxQueuedBodyBytes = 256 << 20

	// maxBatch is the most events one write-behind transaction holds: large enough that a busy node
	// writes thousands of events per commit (a commit's fixed cost, its WAL header and fsync on SQLite,
	// was the larger part of what an event cost once events were stored compactly), small enough that a
	// batch's transaction stays short next to the API's own writes (group commit shares the writer): a
	// full batch of GetCallerIdentity events is some 150 KB stored (under twice what 1,024 took as
	// compressed JSON records), a few dozen pages.
	maxBatch = 4096

	// encodeEvery is how many queued calls wake the writer to encode them into the batch it gathers:
	// often enough that the queue holds a few hundred calls (their requests, inputs and outputs, which
	// the garbage collector would otherwise scan while the batch gathers), seldom enough that waking the
	// writer costs nothing per call.
	encodeEvery = 256

	// maxKeptEncoders is how many accounts' block encoders (and their buffers) the writer keeps from
	// batch to batch: a node's batches mostly hold the events of a few accounts; the encoders of a batch
	// of more are let go after it.
	maxKeptEncoders = 16

	// gatherFor is how long the writer gathers a batch after its first event: at a busy node's tens of
	// thousands of calls a second a batch is full (maxBatch) sooner; at a quiet one an event reaches the
	// history within this delay (CloudTrail's own delivers within minutes; a write's event is found at
	// once, in its preliminary form). Each batch is a commit whose fixed cost (on SQLite a WAL header and
	// an fsync, some 0.5 ms of CPU) the batch's events share: at a few thousand calls a second, 200 ms
	// batches make it a fraction of a microsecond a call where 50 ms ones made it several.
	gatherFor = 200 * time.Millisecond

	// maxBatchBytes bounds what a batch holds in the stored form (and, with the file sink, as records)
	// while it gathers: events of large requests (parameters up to maxParametersBytes each) end the batch
	// early, so that a batch never holds more than this (plus one call's events) in memory or in one
	// transaction.
	maxBatchBytes = 16 << 20

	// adoptAfter is how old a write's preliminary event must be before the purge adopts it as the
	// event (its final form never came: the process died). A live request's final form comes within
	// gatherFor of its end, and requests end within the server's write timeout (60 s by default); the
	// margin keeps a node from adopting another node's events in flight. A row shared by the writes of
	// one commit (PendingRow) is as old as its earliest event: its other writes committed with it, so
	// they too end within a write timeout of that event's time plus one.
	adoptAfter = 5 * time.Minute

	// purgeEvery is how often expired events are purged, and purgeBatch the most one purge statement
	// deletes: a bounded delete keeps each purge transaction short however far behind it is; it loops
	// until nothing expired remains.
	purgeEvery = 10 * time.Minute
	purgeBatch = 5000

	// maxParametersBytes bounds requestParameters (and responseElements) in one record. CloudTrail
	// likewise omits request parameters that are too large ("CloudTrail record contents": the field
	// holds a message instead). The largest legitimate inputs (SAML metadata, policy documents) stay
	// under it; a body at iamd's 1 MiB limit would not.
	maxParametersBytes = 100 << 10

	// maxErrorMessageBytes bounds errorMessage: messages quote caller input (names, ARNs).
	maxErrorMessageBytes = 1024

	// maxUserAgentBytes bounds userAgent: CloudTrail truncates long user agents too.
	maxUserAgentBytes = 1024

	// DefaultFileMaxBytes and DefaultFileKeep bound the rotating file sink: a file is rotated when it
	// passes the size, and only the newest rotated files are kept.
	DefaultFileMaxBytes = 100 << 20
	DefaultFileKeep     = 10

	// fileBufferBytes is the file sink's write buffer, kept from batch to batch: a batch (up to a few
	// MiB of records) reaches the file in writes of this size rather than as one copy of itself.
	fileBufferBytes = 64 << 10
)

// Hidden is what a record shows in place of a secret request parameter, as CloudTrail writes it.
const Hidden = "HIDDEN_DUE_TO_SECURITY_REASONS"

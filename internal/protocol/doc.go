// Package protocol is iamd's hand-written runtime of the AWS wire protocols: awsQuery (IAM, STS) and
// rest-json (Account). AWS ships client runtimes only; nobody ships an awsQuery *server*, so this side is ours.
//
// Generated packages (internal/api/*api, made by internal/protocol/gen) describe every model shape with a
// *Shape and hold the Go structs; struct fields are in member order, so the runtime reaches member i as
// field i by reflection, with no per-request name lookups.
package protocol

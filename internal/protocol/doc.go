// Package protocol is iamd's hand-written runtime of the AWS wire protocols: awsQuery (IAM, STS),
// rest-json (Account) and json (awsJson1_1: CloudTrail). AWS ships client runtimes only; nobody ships an
// awsQuery *server*, so this side is ours to write.
//
// # Approach
//
// Generated packages (internal/api/iamapi, stsapi, accountapi, cloudtrailapi, made by internal/protocol/gen
// from the models in internal/api/models) hold the Go structs and describe every model shape with a *Shape: kind, members,
// constraints, wire names. A structure's Go fields are in member order, one per member, so the runtime
// reaches member i as field i by reflection with no name lookups. Parameters of a query request are parsed
// once into a sorted slice, so every lookup and list scan is a binary search. Responses are appended to
// pooled buffers. A signed GetCallerIdentity costs 4 allocations in decode + validate + encode.
//
// # API used by the server
//
//	op, in, err := protocol.Decode(svc, r, body) // svc is iamapi.Info, stsapi.Info, accountapi.Info, …
//	err = protocol.ValidateInput(in)             // after authentication, as AWS orders it
//	out, err := op.Invoke(ctx, service, in)      // calls the typed Service method
//	protocol.WriteResult(w, op, out, requestID)  // XML or JSON, x-amzn-RequestId
//	ae := protocol.WriteError(w, svc, err, requestID)
//
// Errors: anything implementing APIError (generated error types, *Error) is written as it says; any other
// error is written as 500 InternalFailure (ServiceFailure for IAM) with no detail, and the caller logs the
// cause. Protocol-level errors: MissingAction, InvalidAction ("Could not find operation X for version Y"),
// MalformedQueryString (bad percent-encoding, invalid UTF-8, duplicate or too many parameters),
// InvalidParameterValue (a scalar that does not parse), ValidationError (model constraints, AWS wording),
// SerializationException and UnknownOperationException (rest-json and json), ValidationException (json),
// NotImplemented (501). json-protocol errors are {"__type": code, "message": text}.
//
// Lower-level pieces (ParseParams, DecodeQuery, DecodeQueryInto, FindRESTOperation, DecodeRESTJSON,
// AppendQueryResult, AppendQueryError, Validate) are exported for tests, benchmarks and tools.
package protocol

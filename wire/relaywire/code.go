package relaywire

import "fmt"

// Code says, for programs, why an Error frame was sent. Decode accepts any
// non-zero code so that newer relays can add codes; unknown codes are not
// retryable.
type Code uint16

// The error codes a relay sends.
const (
	CodeBadFrame          Code = 1  // malformed frame, or a type not allowed on this connection
	CodeVersion           Code = 2  // unsupported frame version
	CodeTooLarge          Code = 3  // message larger than the relay's limit; the connection closes
	CodePartyNotConnected Code = 4  // no party with that id is registered at this relay
	CodeRateLimited       Code = 5  // the connection sends faster than its rate limit
	CodeTooManyInFlight   Code = 6  // the connection has too many unanswered requests
	CodeUnauthorized      Code = 7  // a party's Hello failed verification; the connection closes
	CodeReplaced          Code = 8  // a newer registration of the same party replaced this one
	CodeShuttingDown      Code = 9  // the relay is shutting down
	CodePartyBusy         Code = 10 // the party's send buffer is full
	CodePartyGone         Code = 11 // the party disconnected before answering
	CodeDuplicateRequest  Code = 12 // a request with this id is already in flight
	CodeTimeout           Code = 13 // the party did not answer in time
	CodeNoWork            Code = 14 // the payload does not carry the proof of work the deployment asks for
)

func (c Code) String() string {
	switch c {
	case CodeBadFrame:
		return "bad frame"
	case CodeVersion:
		return "unsupported version"
	case CodeTooLarge:
		return "too large"
	case CodePartyNotConnected:
		return "party not connected"
	case CodeRateLimited:
		return "rate limited"
	case CodeTooManyInFlight:
		return "too many in flight"
	case CodeUnauthorized:
		return "unauthorized"
	case CodeReplaced:
		return "replaced"
	case CodeShuttingDown:
		return "shutting down"
	case CodePartyBusy:
		return "party busy"
	case CodePartyGone:
		return "party gone"
	case CodeDuplicateRequest:
		return "duplicate request"
	case CodeTimeout:
		return "timeout"
	case CodeNoWork:
		return "no work"
	}
	return fmt.Sprintf("code %d", uint16(c))
}

// Retryable reports whether a request that failed with c may succeed if sent
// again later, at this relay or another.
func (c Code) Retryable() bool {
	switch c {
	case CodePartyNotConnected, CodeRateLimited, CodeTooManyInFlight,
		CodeShuttingDown, CodePartyBusy, CodePartyGone, CodeTimeout:
		return true
	}
	return false
}

package relay

import (
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
)

// role is the kind of a connection.
type role int

const (
	roleClient role = iota
	roleParty
	numRoles
)

func (r role) String() string { return [...]string{"client", "party"}[r] }

// reason is why a connection, request or frame was rejected.
type reason int

const (
	rejOrigin reason = iota
	rejConnLimit
	rejShuttingDown
	rejTooLarge
	rejBadFrame
	rejVersion
	rejRateLimited
	rejInFlight
	rejDuplicate
	rejPartyNotConnected
	rejPartyBusy
	rejUnauthorized
	rejSlowConsumer
	rejUnknownReply
	numReasons
)

var reasonNames = [numReasons]string{
	"origin", "conn_limit", "shutting_down", "too_large", "bad_frame", "version",
	"rate_limited", "in_flight", "duplicate_request", "party_not_connected",
	"party_busy", "unauthorized", "slow_consumer", "unknown_reply",
}

func (r reason) String() string { return reasonNames[r] }

// metrics are the relay's counters, written by many goroutines.
type metrics struct {
	connsTotal [numRoles]atomic.Uint64
	connsOpen  [numRoles]atomic.Int64
	frames     [numRoles]atomic.Uint64 // frames forwarded to a connection of this role
	bytes      [numRoles]atomic.Uint64 // payload bytes forwarded to this role
	rejected   [numReasons]atomic.Uint64
}

func (m *metrics) reject(r reason) { m.rejected[r].Add(1) }

// write writes m in the Prometheus text exposition format, version 0.0.4.
func (m *metrics) write(w io.Writer) {
	fmt.Fprintln(w, "# HELP safetrace_relay_connections_total WebSocket connections accepted.")
	fmt.Fprintln(w, "# TYPE safetrace_relay_connections_total counter")
	for r := range numRoles {
		fmt.Fprintf(w, "safetrace_relay_connections_total{role=%q} %d\n", r, m.connsTotal[r].Load())
	}
	fmt.Fprintln(w, "# HELP safetrace_relay_connections WebSocket connections open now.")
	fmt.Fprintln(w, "# TYPE safetrace_relay_connections gauge")
	for r := range numRoles {
		fmt.Fprintf(w, "safetrace_relay_connections{role=%q} %d\n", r, m.connsOpen[r].Load())
	}
	fmt.Fprintln(w, "# HELP safetrace_relay_frames_forwarded_total Frames forwarded, by the role of the receiver.")
	fmt.Fprintln(w, "# TYPE safetrace_relay_frames_forwarded_total counter")
	for r := range numRoles {
		fmt.Fprintf(w, "safetrace_relay_frames_forwarded_total{to=%q} %d\n", r, m.frames[r].Load())
	}
	fmt.Fprintln(w, "# HELP safetrace_relay_payload_bytes_forwarded_total Payload bytes forwarded, by the role of the receiver.")
	fmt.Fprintln(w, "# TYPE safetrace_relay_payload_bytes_forwarded_total counter")
	for r := range numRoles {
		fmt.Fprintf(w, "safetrace_relay_payload_bytes_forwarded_total{to=%q} %d\n", r, m.bytes[r].Load())
	}
	fmt.Fprintln(w, "# HELP safetrace_relay_rejected_total Connections, requests and frames rejected, by reason.")
	fmt.Fprintln(w, "# TYPE safetrace_relay_rejected_total counter")
	for r := range numReasons {
		fmt.Fprintf(w, "safetrace_relay_rejected_total{reason=%q} %d\n", r, m.rejected[r].Load())
	}
}

func (m *metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	m.write(w)
}

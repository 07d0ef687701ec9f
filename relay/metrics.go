package relay

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
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
	rejTotalConnLimit
	rejIdle
	rejTimeout
	rejNoWork
	numReasons
)

var reasonNames = [numReasons]string{
	"origin", "conn_limit", "shutting_down", "too_large", "bad_frame", "version",
	"rate_limited", "in_flight", "duplicate_request", "party_not_connected",
	"party_busy", "unauthorized", "slow_consumer", "unknown_reply",
	"total_conn_limit", "idle", "timeout", "no_work",
}

func (r reason) String() string { return reasonNames[r] }

// metrics are the relay's counters, written by many goroutines, in a
// registry of their own (not the process-wide default one). They count
// connections, frames and bytes, never anything about payloads.
type metrics struct {
	reg        *prometheus.Registry
	connsTotal [numRoles]prometheus.Counter
	connsOpen  [numRoles]prometheus.Gauge
	frames     [numRoles]prometheus.Counter // frames forwarded to a connection of this role
	bytes      [numRoles]prometheus.Counter // payload bytes forwarded to this role
	queued     [numRoles]prometheus.Gauge   // bytes queued for connections of this role
	rejected   [numReasons]prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	counters := func(name, help, label string) *prometheus.CounterVec {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{label})
		m.reg.MustRegister(v)
		return v
	}
	gauges := func(name, help string) *prometheus.GaugeVec {
		v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, []string{"role"})
		m.reg.MustRegister(v)
		return v
	}
	connsTotal := counters("safetrace_relay_connections_total", "WebSocket connections accepted.", "role")
	connsOpen := gauges("safetrace_relay_connections", "WebSocket connections open now.")
	frames := counters("safetrace_relay_frames_forwarded_total", "Frames forwarded, by the role of the receiver.", "to")
	bytes := counters("safetrace_relay_payload_bytes_forwarded_total", "Payload bytes forwarded, by the role of the receiver.", "to")
	queued := gauges("safetrace_relay_send_queue_bytes", "Bytes queued for connections and not yet written, by role.")
	rejected := counters("safetrace_relay_rejected_total", "Connections, requests and frames rejected, by reason.", "reason")
	// Every series exists from the start, at 0.
	for r := range numRoles {
		l := r.String()
		m.connsTotal[r] = connsTotal.WithLabelValues(l)
		m.connsOpen[r] = connsOpen.WithLabelValues(l)
		m.frames[r] = frames.WithLabelValues(l)
		m.bytes[r] = bytes.WithLabelValues(l)
		m.queued[r] = queued.WithLabelValues(l)
	}
	for r := range numReasons {
		m.rejected[r] = rejected.WithLabelValues(r.String())
	}
	return m
}

func (m *metrics) reject(r reason) { m.rejected[r].Inc() }

// handler serves the metrics in the Prometheus text exposition format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

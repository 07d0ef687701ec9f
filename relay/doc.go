// Package relay implements the SafeTrace relay server: a stateless WebSocket
// router between clients (browsers and native apps) and party servers
// (DESIGN.md sections 2, 4.2, 4.4 and 7).
//
// Clients connect to /client and send Request frames naming a destination
// party; parties keep an outbound connection to /party of every relay,
// prove their Ed25519 key by signing the relay's challenge, and answer each
// Forward with a Reply that the relay routes back to the asking client
// connection only. The frame format is package wire/relaywire and
// docs/relay.md; the client and party connectors are package
// relay/relayclient. /healthz is a liveness check. Metrics (Prometheus text
// format) are served only on a separate operator listener
// (Config.MetricsListen), never on the public one.
//
// Use [New] with a [Config], then [Server.Serve] (or mount the Server as an
// http.Handler and call [Server.Shutdown]).
//
// The server follows the gorilla/websocket chat example: one hub goroutine
// owns the routing table; each connection has a read pump and a write pump; a
// client whose send queue is full is dropped. Send queues are bounded by
// bytes as well as by frames (Config.ClientQueueBytes, PartyQueueBytes). A
// party whose send queue is full is not dropped: the request is refused with
// a retryable "party busy" error instead, so that one slow moment does not
// disconnect a party.
//
// The relay forwards each request to its party under a fresh random
// [relaywire.Handle] and keeps the handle-to-asker map to itself, so that a
// party cannot link the requests of one client connection.
//
// Warning: the relay is untrusted by design. Payloads are opaque sealed bytes
// (HPKE, sealed by the client to the destination party); the relay never
// decrypts, parses or logs them, and stores nothing. It does see who
// connects, when, and message sizes. It authenticates parties but not
// clients; its limits (message size, connections in all and per address,
// bytes queued per connection, rate, requests in flight) bound abuse, they
// do not prevent it.
package relay

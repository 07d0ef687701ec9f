// Package relayclient connects clients and party servers to SafeTrace relays
// (package relay; DESIGN.md sections 2, 4.2 and 4.4).
//
// A [Client] sends sealed requests to parties through any of several relays
// and waits for their answers: [Client.Do] is safe for concurrent use and
// multiplexes many calls over one connection. A [Party] keeps a connection
// to every relay of the deployment, proves its Ed25519 key to each, and
// answers forwarded requests with a [Handler].
//
// The package is plain Go and compiles for GOOS=js GOARCH=wasm as well as
// natively: the transport is the small [Dialer] / [MsgConn] interface. On
// native platforms [WebSocketDialer] implements it with gorilla/websocket;
// in the browser the Dialer must come from the browser's WebSocket (the
// default Dialer there fails until one is provided).
//
// Warning: payloads pass through relays that are not trusted. Seal every
// payload to its destination party (HPKE) before calling Do; this package
// sends the bytes as they are, and a relay sees their sizes and timing.
package relayclient

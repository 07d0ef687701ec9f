// Package transport carries the messages of round-based MPC protocols between
// the n parties of a computation, numbered 1..n.
//
// A [Conn] is one party's endpoint in a full mesh. In each round a party sends
// at most one message to each peer and receives one from each; [Exchange] and
// [Broadcast] do a whole round, sending to and receiving from all peers
// concurrently so that large messages cannot deadlock on socket buffers.
//
// Two implementations share that contract:
//
//   - [NewLocal] connects n parties inside one process over buffered channels,
//     with a [Hook] to drop, delay or tamper with messages in tests.
//   - [NewMesh] connects parties in different processes over TCP with TLS 1.3
//     (RFC 8446). Every party is authenticated by an Ed25519 key pinned in
//     [MeshConfig.Peers] (in SafeTrace, the keys of the manifest): each side
//     presents a self-signed certificate for its key, both sides require the
//     other's certificate, and a connection is accepted only when the peer's key
//     is the pinned key of the party id it claims and both ends agree on the
//     session id. [LocalMeshConfigs] builds configurations for a mesh on
//     loopback with fresh keys, for tests and local deployments.
//
// Trust: with the pinned keys distributed honestly, each link of a mesh is a
// mutually authenticated, confidential, ordered channel; a message from party
// i arrives exactly once and in order, or the link fails with an error
// wrapping [ErrPeerGone]. Receiving never waits longer than the configured
// timeout ([ErrTimeout]).
//
// Warning: the transport does not hide message sizes or timing from the
// network, does not reconnect a failed link or retransmit (a failed link fails
// the computation), does not detect a peer that sends wrong but well-formed
// messages, and gives no protection against a party that leaks what it
// receives. A peer is authenticated, not trusted: the protocol above must
// still check what it receives.
package transport

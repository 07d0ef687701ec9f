package relay

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/wire/relaywire"
)

// Defaults for the Config fields left zero.
const (
	// DefaultWriteWait is the time allowed to write one message to a peer.
	DefaultWriteWait = 10 * time.Second
	// DefaultPongWait is the time allowed to read the next pong (or any
	// message) from a peer before the connection is considered dead.
	DefaultPongWait = 60 * time.Second
	// DefaultHelloWait is the time a party has to answer the challenge.
	DefaultHelloWait = 10 * time.Second
	// DefaultMaxMessageSize is the largest message a peer may send: the
	// largest valid frame.
	DefaultMaxMessageSize = relaywire.MaxFrameSize
	// DefaultMaxConnsPerAddr caps the connections from one remote address.
	DefaultMaxConnsPerAddr = 32
	// DefaultRate and DefaultBurst configure the per-connection token
	// bucket for client messages: DefaultRate messages per second on
	// average, bursts of DefaultBurst.
	DefaultRate  = 50
	DefaultBurst = 100
	// DefaultMaxInFlight caps the unanswered requests of one client
	// connection.
	DefaultMaxInFlight = 64
	// DefaultSendBuffer is the number of messages queued for a client
	// before it is dropped as too slow.
	DefaultSendBuffer = 256
	// DefaultPartySendBuffer is the number of messages queued for a party
	// before new requests for it are refused as "party busy".
	DefaultPartySendBuffer = 4096
	// DefaultPartyQueueBytes bounds the bytes of the frames queued for one
	// party connection and not yet written to it. A request whose Forward
	// would pass it is refused as "party busy"; the party stays connected.
	// Without it the count bound alone allowed DefaultPartySendBuffer
	// frames of a MiB each, 4 GiB per party.
	DefaultPartyQueueBytes = 32 << 20
	// DefaultClientQueueBytes bounds the bytes queued for one client
	// connection: two frames of the largest size. A client whose queue
	// would pass it is dropped as too slow (close 1013).
	DefaultClientQueueBytes = 2 * relaywire.MaxFrameSize
	// DefaultMaxConns caps the client connections open at once, over all
	// addresses. An idle connection costs about 35 KiB, so the default
	// holds the relay's idle cost near 140 MiB.
	DefaultMaxConns = 4096
	// DefaultFirstFrameWait is the time a client connection has to send
	// its first frame; one that sends nothing is closed. (A party has
	// HelloWait to register.)
	DefaultFirstFrameWait = 30 * time.Second
	// DefaultRequestTimeout is how long the relay waits for a party's
	// reply before it fails the request with a "timeout" error and forgets
	// its handle: twice the time a SafeTrace client waits for one attempt.
	DefaultRequestTimeout = 60 * time.Second
)

// defaultMaxPartyConns is MaxPartyConns for a manifest of n parties: room
// for each party's connection and a few reconnections overlapping it.
func defaultMaxPartyConns(n int) int { return max(4*n, 8) }

// pingPeriod is how often pings are sent: it must be less than pongWait.
func pingPeriod(pongWait time.Duration) time.Duration { return pongWait * 9 / 10 }

// Config configures a relay Server. Name and Parties are required; every
// other zero field takes the default named after it.
type Config struct {
	// Name is the name the relay advertises in its challenge and that
	// parties sign: the URL parties dial (for example
	// "wss://relay1.example.org"), without the /party path.
	Name string
	// Parties maps each party id (1..255) to its Ed25519 public key, as
	// pinned in the deployment manifest.
	Parties map[int]ed25519.PublicKey
	// ManifestHash is the hash of the deployment manifest; parties sign it
	// so that only parties of this deployment register.
	ManifestHash []byte

	// AllowedOrigins lists the browser origins ("https://app.example.org")
	// allowed to connect; "*" allows any. Requests without an Origin header
	// (native clients and parties) are always allowed.
	AllowedOrigins []string
	// TrustForwardedFor makes the relay take the client address from the
	// last X-Forwarded-For entry, the one added by the reverse proxy in
	// front of it. Enable it only behind such a proxy: clients can forge
	// the header.
	TrustForwardedFor bool
	// MaxConnsPerAddr caps simultaneous connections per remote address;
	// negative means no cap.
	MaxConnsPerAddr int
	// Rate (messages per second) and Burst configure the token bucket of
	// each client connection; a negative Rate means no limit. Parties are
	// not rate limited.
	Rate  float64
	Burst int
	// MaxInFlight caps the unanswered requests of a client connection.
	MaxInFlight int
	// WorkBits is the manifest's budget.work_bits: a client request whose
	// envelope does not carry that proof of work (wire.CheckWork) is
	// refused before it is forwarded. Zero checks nothing.
	WorkBits int
	// MaxMessageSize is the largest message, in bytes, a peer may send; a
	// larger one closes the connection.
	MaxMessageSize int
	// SendBuffer and PartySendBuffer are the per-connection send queue
	// lengths, in frames, for clients and parties.
	SendBuffer      int
	PartySendBuffer int
	// ClientQueueBytes and PartyQueueBytes bound the bytes queued per
	// connection and not yet written, for clients and parties (see
	// DefaultClientQueueBytes and DefaultPartyQueueBytes). Each must hold
	// at least one frame of relaywire.MaxFrameSize bytes.
	ClientQueueBytes int
	PartyQueueBytes  int
	// MaxConns caps the client connections open at once; more are refused
	// with HTTP 503 before the WebSocket upgrade. MaxPartyConns caps the
	// connections to /party, registered or not (default: 4 per party of
	// the manifest, at least 8), so that a flood of clients never locks
	// the parties out. Negative means no cap.
	MaxConns      int
	MaxPartyConns int
	// PartyFrontEnds is how many registered connections one party may
	// have at once: one per front end of a party that runs several on a
	// shared store. A request for the party goes to its connection with
	// the fewest requests in flight; a connection beyond the limit
	// replaces the party's oldest. Default 1: a party's new connection
	// replaces its old one.
	PartyFrontEnds int
	// FirstFrameWait is how long a client connection may stay open
	// without sending its first frame (DefaultFirstFrameWait).
	FirstFrameWait time.Duration
	// RequestTimeout is how long a forwarded request waits for its reply
	// (DefaultRequestTimeout); then the client gets Error{id, 13 timeout},
	// its in-flight slot is free again and a late reply is dropped.
	RequestTimeout time.Duration

	// MetricsListen, if set, is the address ("127.0.0.1:9102") of the
	// operator listener on which New serves GET /metrics (Prometheus text
	// format). Metrics are never served on the public handler. Port 0
	// picks a free port; see Server.MetricsAddr.
	MetricsListen string

	// WriteWait, PongWait and HelloWait are the deadlines described at
	// DefaultWriteWait, DefaultPongWait and DefaultHelloWait. Pings go out
	// every 9/10 of PongWait.
	WriteWait time.Duration
	PongWait  time.Duration
	HelloWait time.Duration

	// Logger receives structured logs; nil means slog.Default(). Payloads
	// are never logged.
	Logger *slog.Logger
}

// withDefaults checks c and returns a copy with defaults filled in.
func (c Config) withDefaults() (Config, error) {
	if c.Name == "" {
		return c, errors.New("relay: config has no Name")
	}
	if len(c.Name) > relaywire.MaxText {
		return c, fmt.Errorf("relay: name longer than %d bytes", relaywire.MaxText)
	}
	if len(c.Parties) == 0 {
		return c, errors.New("relay: config has no parties")
	}
	parties := make(map[int]ed25519.PublicKey, len(c.Parties))
	for id, k := range c.Parties {
		if id < 1 || id > 255 {
			return c, fmt.Errorf("relay: party id %d out of range 1..255", id)
		}
		if len(k) != ed25519.PublicKeySize {
			return c, fmt.Errorf("relay: party %d: public key of %d bytes, want %d", id, len(k), ed25519.PublicKeySize)
		}
		parties[id] = k
	}
	c.Parties = parties
	setDefault(&c.MaxConnsPerAddr, DefaultMaxConnsPerAddr)
	setDefault(&c.Rate, DefaultRate)
	setDefault(&c.Burst, DefaultBurst)
	setDefault(&c.MaxInFlight, DefaultMaxInFlight)
	setDefault(&c.MaxMessageSize, DefaultMaxMessageSize)
	setDefault(&c.SendBuffer, DefaultSendBuffer)
	setDefault(&c.PartySendBuffer, DefaultPartySendBuffer)
	setDefault(&c.ClientQueueBytes, DefaultClientQueueBytes)
	setDefault(&c.PartyQueueBytes, DefaultPartyQueueBytes)
	setDefault(&c.MaxConns, DefaultMaxConns)
	c.PartyFrontEnds = max(c.PartyFrontEnds, 1)
	setDefault(&c.MaxPartyConns, defaultMaxPartyConns(len(c.Parties))*c.PartyFrontEnds)
	setDefault(&c.FirstFrameWait, DefaultFirstFrameWait)
	setDefault(&c.RequestTimeout, DefaultRequestTimeout)
	if min(c.ClientQueueBytes, c.PartyQueueBytes) < relaywire.MaxFrameSize {
		return c, fmt.Errorf("relay: send queue budgets of %d and %d bytes; each must hold a frame of %d", c.ClientQueueBytes, c.PartyQueueBytes, relaywire.MaxFrameSize)
	}
	setDefault(&c.WriteWait, DefaultWriteWait)
	setDefault(&c.PongWait, DefaultPongWait)
	setDefault(&c.HelloWait, DefaultHelloWait)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

func setDefault[T comparable](p *T, d T) {
	var zero T
	if *p == zero {
		*p = d
	}
}

// ApplyBudget sets the limits a deployment manifest's budget names: the
// proof of work, the rate and burst of a client connection, the client
// connections per address and in all, and the bytes queued for a client.
// A zero budget value turns its limit off.
func (c *Config) ApplyBudget(b manifest.Budget) {
	off := func(v int) int {
		if v == 0 {
			return -1
		}
		return v
	}
	c.WorkBits = b.WorkBits
	c.Rate, c.Burst = float64(off(b.RelayRate)), b.RelayBurst
	c.MaxConnsPerAddr = off(b.RelayConnsPerAddress)
	c.MaxConns = off(b.RelayConns)
	c.ClientQueueBytes = b.RelayQueueBytes
}

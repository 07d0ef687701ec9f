// Package client is the SafeTrace client library (DESIGN.md sections 4.2
// and 4.4): it verifies and pins a deployment manifest, Shamir-shares
// records, seals one payload per party and sends them through relays until
// every party has returned a signed receipt, and fetches, opens and
// reconstructs the user's result shares.
//
// It is plain Go for the browser (GOOS=js GOARCH=wasm, where the relay
// connection comes from a relayclient.Dialer over the browser's WebSocket)
// and for native programs and tests. Calls block the calling goroutine only;
// from JavaScript, call them in a goroutine and resolve a Promise.
//
// Entry points: [New], [Client.Upload] (or [Client.Prepare] and
// [Client.Send], to persist a pending upload across restarts),
// [Client.FetchResults] and [Client.AckResults]. The user's secrets live in
// a [State], which the caller persists.
//
// Warning: the State holds the result key and the token that fetches and
// deletes results: whoever has it reads the user's results. A
// PendingUpload holds every party's shares, so it reveals the records:
// keep it on the device only, and delete it once complete. The client
// trusts the manifest it was given (or pinned); it does not check that the
// parties are independent.
package client

import (
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/relay/relayclient"
	"github.com/safetrace/safetrace/wire"
)

// State is the user's secrets, JSON serialisable for the device's storage.
type State struct {
	ResultKey []byte `json:"result_key"` // X25519 private key for result shares, 32 bytes
	Token     []byte `json:"token"`      // secret whose SHA-256 goes with uploads, 32 bytes
}

// NewState makes fresh secrets from crypto/rand.
func NewState() (*State, error) {
	k, err := wire.GenerateResultKey()
	if err != nil {
		return nil, err
	}
	t := make([]byte, 32)
	crand.Read(t)
	return &State{ResultKey: k.Bytes(), Token: t}, nil
}

// Defaults of the options.
const (
	DefaultMinBackoff   = 200 * time.Millisecond
	DefaultMaxBackoff   = 30 * time.Second
	DefaultAttemptWait  = 30 * time.Second
	DefaultResultsGrace = 3 * time.Second
)

// Option changes a default of New.
type Option func(*Client)

// WithState makes the client use st (persisted earlier) instead of fresh
// secrets.
func WithState(st *State) Option { return func(c *Client) { c.st = st } }

// WithBackoff sets the bounds of the retry backoff.
func WithBackoff(lo, hi time.Duration) Option {
	return func(c *Client) { c.minBackoff, c.maxBackoff = lo, hi }
}

// WithAttemptWait bounds the wait for one party's reply to one attempt.
func WithAttemptWait(d time.Duration) Option { return func(c *Client) { c.attemptWait = d } }

// WithResultsGrace sets how long FetchResults waits for the remaining
// parties once t+1 have answered.
func WithResultsGrace(d time.Duration) Option { return func(c *Client) { c.grace = d } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// Client talks to the parties of one pinned deployment. Its methods are safe
// for concurrent use.
type Client struct {
	m     *manifest.Manifest
	mhash manifest.Hash
	st    *State
	rk    *wire.ResultKey
	rc    *relayclient.Client
	log   *slog.Logger

	minBackoff, maxBackoff time.Duration
	attemptWait, grace     time.Duration

	seen seenSeqs
}

// New verifies manifestBytes (all n party signatures) and, if pinned is not
// nil, that its hash equals pinned; it then starts connecting to relays (nil
// means the manifest's) with dialer (nil means the platform default). Close
// the client when done.
func New(manifestBytes []byte, pinned []byte, relays []string, dialer relayclient.Dialer, opts ...Option) (*Client, error) {
	m, err := manifest.Parse(manifestBytes)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	if err := m.Verify(); err != nil {
		return nil, fmt.Errorf("client: refusing manifest: %w", err)
	}
	h := m.Hash()
	if pinned != nil && string(pinned) != string(h[:]) {
		return nil, fmt.Errorf("client: manifest hash %s differs from the pinned %x: a changed deployment needs the user's consent", h, pinned)
	}
	c := &Client{m: m, mhash: h, log: slog.Default(),
		minBackoff: DefaultMinBackoff, maxBackoff: DefaultMaxBackoff,
		attemptWait: DefaultAttemptWait, grace: DefaultResultsGrace}
	for _, o := range opts {
		o(c)
	}
	if c.st == nil {
		if c.st, err = NewState(); err != nil {
			return nil, err
		}
	}
	if c.rk, err = wire.ParseResultKey(c.st.ResultKey); err != nil {
		return nil, fmt.Errorf("client: state: %w", err)
	}
	if len(c.st.Token) != 32 {
		return nil, fmt.Errorf("client: state: token of %d bytes, want 32", len(c.st.Token))
	}
	if relays == nil {
		relays = m.Relays
	}
	c.rc, err = relayclient.NewClient(relayclient.ClientConfig{
		Relays: relays, Dialer: dialer, Logger: c.log,
		MinBackoff: c.minBackoff, MaxBackoff: min(c.maxBackoff, 5*time.Second),
	})
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	return c, nil
}

// Close closes the relay connection. Calls in progress fail.
func (c *Client) Close() error { return c.rc.Close() }

// Manifest returns the verified manifest; do not modify it.
func (c *Client) Manifest() *manifest.Manifest { return c.m }

// ManifestHash returns the pinned manifest hash.
func (c *Client) ManifestHash() manifest.Hash { return c.mhash }

// State returns the client's secrets for the caller to persist.
func (c *Client) State() *State { return c.st }

func (c *Client) tokenHash() [32]byte { return sha256.Sum256(c.st.Token) }

// call sends one request to party and opens the reply. A *wire.Error reply
// is returned as the error (wrapped with wire.ErrClearReply when it came in
// the clear); relay failures are relayclient errors.
func (c *Client) call(ctx context.Context, party int, req []byte, rk *wire.ReplyKey) (wire.Message, error) {
	env, err := wire.SealEnvelope(c.m, party, req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.attemptWait)
	defer cancel()
	reply, err := c.rc.Do(ctx, party, env)
	if err != nil {
		return nil, err
	}
	msg, err := rk.OpenReply(c.mhash, party, reply)
	if err != nil {
		return nil, err
	}
	if e, ok := msg.(*wire.Error); ok {
		return nil, e
	}
	return msg, nil
}

// retryable reports whether a failed call is worth repeating.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var we *wire.Error
	if errors.As(err, &we) {
		return we.Code.Retryable()
	}
	// Lost connections, relay refusals, timeouts of one attempt and
	// replies garbled on the way: a relay can only delay us.
	return !errors.Is(err, relayclient.ErrClosed)
}

// backoff returns the wait before attempt n (0-based): exponential with
// equal jitter between the client's bounds.
func (c *Client) backoff(n int) time.Duration {
	return relayclient.Backoff(n, c.minBackoff, c.maxBackoff)
}

// Request sends one request to party and returns its (opened) reply; build
// is given the fresh reply key to put into the request. It makes one
// attempt: callers retry what is safe to retry. Operators' tools use it for
// requests other than uploads and results.
func (c *Client) Request(ctx context.Context, party int, build func(replyKey [wire.KeySize]byte) wire.Message) (wire.Message, error) {
	if party < 1 || party > len(c.m.Parties) {
		return nil, fmt.Errorf("client: no party %d", party)
	}
	rk, err := wire.NewReplyKey()
	if err != nil {
		return nil, err
	}
	req, err := wire.Encode(build(rk.Public()))
	if err != nil {
		return nil, err
	}
	return c.call(ctx, party, req, rk)
}

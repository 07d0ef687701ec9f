package relayclient

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/safetrace/safetrace/wire/relaywire"
)

// Handler answers one forwarded request: it gets the sealed payload a client
// sent to this party and returns the reply payload (nil means empty). It is
// called from many goroutines at once. ctx is cancelled when the Party stops.
type Handler func(ctx context.Context, payload []byte) []byte

// DefaultMaxConcurrent is the default bound on handlers running at once.
const DefaultMaxConcurrent = 32

// DefaultHelloWait bounds the registration exchange with a relay.
const DefaultHelloWait = 10 * time.Second

// PartyConfig configures a Party. ID, Key, Relays and Handler are required.
type PartyConfig struct {
	// ID is the party's id in the manifest, 1..255.
	ID int
	// Key is the party's Ed25519 signing key, whose public half the
	// manifest pins.
	Key ed25519.PrivateKey
	// ManifestHash is the hash of the deployment manifest, as the relays
	// are configured with it.
	ManifestHash []byte
	// Relays lists every relay's base URL. Each must be exactly the name
	// that relay advertises: the party signs the URL it dialed, so that a
	// relay cannot pass the signature on to another.
	Relays []string
	// Handler answers requests.
	Handler Handler
	// MaxConcurrent bounds the handlers running at once, over all relays;
	// zero means DefaultMaxConcurrent. When it is reached the party stops
	// reading, and relays refuse new requests as "party busy".
	MaxConcurrent int
	// Dialer opens connections; nil means the platform default.
	Dialer Dialer
	// MinBackoff and MaxBackoff bound the wait between reconnections;
	// zero means DefaultMinBackoff and DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// Logger receives connection events; nil means slog.Default().
	// Payloads are never logged.
	Logger *slog.Logger
}

// Party keeps a registered connection to every relay and answers the
// requests they forward.
type Party struct {
	cfg        PartyConfig
	log        *slog.Logger
	sem        chan struct{}
	registered atomic.Int32
}

// NewParty checks cfg and returns a Party; call Run to connect.
func NewParty(cfg PartyConfig) (*Party, error) {
	if cfg.ID < 1 || cfg.ID > 255 {
		return nil, fmt.Errorf("relay: party id %d out of range 1..255", cfg.ID)
	}
	if len(cfg.Key) != ed25519.PrivateKeySize {
		return nil, errors.New("relay: party config has no Ed25519 key")
	}
	if len(cfg.Relays) == 0 {
		return nil, errors.New("relay: party config lists no relays")
	}
	if cfg.Handler == nil {
		return nil, errors.New("relay: party config has no handler")
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = DefaultMaxConcurrent
	}
	log := dialDefaults(&cfg.Dialer, &cfg.MinBackoff, &cfg.MaxBackoff, cfg.Logger)
	log = log.With("party", cfg.ID)
	return &Party{cfg: cfg, log: log, sem: make(chan struct{}, cfg.MaxConcurrent)}, nil
}

// Registered returns the number of relays at which the party is registered
// now.
func (p *Party) Registered() int { return int(p.registered.Load()) }

// Run connects to every relay and serves requests, reconnecting with
// backoff whenever a connection is lost, until ctx is done. It returns nil
// after waiting for the handlers in progress.
func (p *Party) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, url := range p.cfg.Relays {
		wg.Go(func() { p.keep(ctx, url) })
	}
	wg.Wait()
	return nil
}

// keep stays registered at one relay until ctx is done.
func (p *Party) keep(ctx context.Context, url string) {
	failures := 0
	for ctx.Err() == nil {
		registered, err := p.session(ctx, url)
		if ctx.Err() != nil {
			return
		}
		if registered {
			failures = 0
		}
		p.log.Warn("relay connection ended", "relay", url, "err", err)
		if !Sleep(ctx, Backoff(failures, p.cfg.MinBackoff, p.cfg.MaxBackoff)) {
			return
		}
		failures++
	}
}

// session registers at one relay and serves it until the connection ends.
// It reports whether registration succeeded, and why the session ended.
func (p *Party) session(ctx context.Context, url string) (bool, error) {
	mc, err := p.cfg.Dialer.Dial(ctx, endpoint(url, "/party"))
	if err != nil {
		return false, err
	}
	defer mc.Close()
	if err := p.register(ctx, mc, url); err != nil {
		return false, err
	}
	p.registered.Add(1)
	defer p.registered.Add(-1)
	p.log.Info("registered at relay", "relay", url)

	stop := context.AfterFunc(ctx, func() { mc.Close() })
	defer stop()
	var handlers sync.WaitGroup
	defer handlers.Wait()
	for {
		b, err := mc.ReadMessage(ctx)
		if err != nil {
			return true, err
		}
		f, err := relaywire.Decode(b)
		if err != nil {
			return true, err
		}
		switch f := f.(type) {
		case *relaywire.Forward:
			select {
			case p.sem <- struct{}{}:
			case <-ctx.Done():
				return true, ctx.Err()
			}
			handlers.Go(func() {
				defer func() { <-p.sem }()
				reply := p.cfg.Handler(ctx, f.Payload)
				out, err := (&relaywire.Reply{Handle: f.Handle, Payload: reply}).AppendBinary(nil)
				if err != nil {
					p.log.Error("handler reply not sent", "relay", url, "err", err)
					return
				}
				if err := mc.WriteMessage(ctx, out); err != nil {
					mc.Close() // the read loop notices and reconnects
				}
			})
		case *relaywire.Error:
			p.log.Warn("relay reported an error", "relay", url, "code", f.Code, "msg", f.Message)
			if f.Code == relaywire.CodeReplaced {
				return true, fmt.Errorf("relay: replaced by another connection of party %d: %s", p.cfg.ID, f.Message)
			}
		default:
			return true, fmt.Errorf("relay: unexpected %v frame from relay", f.Type())
		}
	}
}

// register answers the relay's challenge and waits for its Welcome.
func (p *Party) register(ctx context.Context, mc MsgConn, url string) error {
	ctx, cancel := context.WithTimeout(ctx, DefaultHelloWait)
	defer cancel()
	f, err := readFrame(ctx, mc)
	if err != nil {
		return fmt.Errorf("relay: reading challenge: %w", err)
	}
	ch, ok := f.(*relaywire.Challenge)
	if !ok {
		return fmt.Errorf("relay: expected challenge, got %v frame", f.Type())
	}
	if strings.TrimSuffix(ch.Name, "/") != strings.TrimSuffix(url, "/") {
		return fmt.Errorf("relay: relay at %s advertises name %q; configure the party with the relay's name", url, ch.Name)
	}
	// The name signed is the relay's own spelling of the URL we dialed
	// (checked above), never a name we did not mean to reach.
	hello := relaywire.SignHello(p.cfg.Key, uint8(p.cfg.ID), ch, p.cfg.ManifestHash)
	if err := mc.WriteMessage(ctx, relaywire.Encode(hello)); err != nil {
		return fmt.Errorf("relay: sending hello: %w", err)
	}
	f, err = readFrame(ctx, mc)
	if err != nil {
		return fmt.Errorf("relay: waiting for welcome: %w", err)
	}
	switch f := f.(type) {
	case *relaywire.Welcome:
		return nil
	case *relaywire.Error:
		return fmt.Errorf("relay: registration refused: %s (%v)", f.Message, f.Code)
	}
	return fmt.Errorf("relay: expected welcome, got %v frame", f.Type())
}

func readFrame(ctx context.Context, mc MsgConn) (relaywire.Frame, error) {
	b, err := mc.ReadMessage(ctx)
	if err != nil {
		return nil, err
	}
	return relaywire.Decode(b)
}

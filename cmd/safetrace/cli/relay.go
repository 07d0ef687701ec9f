package cli

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/safetrace/safetrace/internal/testenv/relayserve"
	"github.com/safetrace/safetrace/relay"
)

func runRelay(ctx context.Context, args []string) error {
	fs := newFlagSet("relay")
	listen := fs.String("listen", "127.0.0.1:8081", "`address` to listen on")
	mpath := fs.String("manifest", "manifest.json", "deployment manifest `file`: the parties and their signing keys")
	name := fs.String("name", "", "the relay's `URL` as the manifest lists it and parties dial it (default: the manifest's only relay)")
	var origins stringList
	fs.Var(&origins, "origin", "browser `origin` allowed to connect besides the manifest's app origin (repeatable; \"*\" allows any)")
	forwarded := fs.Bool("trust-forwarded-for", false, "take client addresses from X-Forwarded-For (only behind a reverse proxy)")
	metricsListen := fs.String("metrics-listen", "", "`address` of the operator listener serving /metrics (e.g. 127.0.0.1:9102; default none)")
	level := fs.String("log-level", "info", "log `level`: debug, info, warn or error")
	frontEnds := fs.Int("party-front-ends", 1, "registered connections one party may have at once: its front ends, for parties on PostgreSQL with several (`n`)")
	fs.Usage = usageFunc(fs, "usage: safetrace relay --listen ADDR --manifest FILE [--name URL] [--origin ORIGIN ...] [--metrics-listen ADDR]\n\nRun a stateless WebSocket relay between clients and parties.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	log, err := serverLogger("relay", *level)
	if err != nil {
		return err
	}
	log = log.With("role", "relay")
	m, err := readVerifiedManifest(*mpath)
	if err != nil {
		return fmt.Errorf("relay: %w", err)
	}
	if *name == "" {
		if len(m.Relays) != 1 {
			return fmt.Errorf("relay: the manifest lists %d relays; say which one this is with --name", len(m.Relays))
		}
		*name = m.Relays[0]
	}
	if !slices.Contains(m.Relays, *name) {
		return fmt.Errorf("relay: %s is not a relay of the manifest", *name)
	}
	u, err := url.Parse(*name)
	if err != nil {
		return fmt.Errorf("relay: --name: %w", err)
	}
	parties := map[int]ed25519.PublicKey{}
	for _, p := range m.Parties {
		parties[p.ID] = p.SignKey
	}
	origins = append(origins, m.AppOrigin, strings.Replace(m.AppOrigin, "//localhost:", "//127.0.0.1:", 1))
	h := m.Hash()
	cfg := relay.Config{
		Name:              *name,
		Parties:           parties,
		ManifestHash:      h[:],
		AllowedOrigins:    origins,
		TrustForwardedFor: *forwarded,
		MetricsListen:     *metricsListen,
		PartyFrontEnds:    *frontEnds,
		Logger:            log,
	}
	cfg.ApplyBudget(m.Params.Budget)
	srv, err := relay.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		srv.Close()
		return fmt.Errorf("relay: %w", err)
	}
	log.Info("relay listening", "addr", ln.Addr().String(), "name", *name, "parties", len(parties), "manifest", h.String())
	return relayserve.Serve(ctx, srv, ln, u.Path)
}

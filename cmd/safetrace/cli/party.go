package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/safetrace/safetrace/deploy/keys"
	"github.com/safetrace/safetrace/party/server"
)

const partyUsage = `usage:
  safetrace party --manifest FILE --key FILE --data DIR [--store postgres://...] [--listen ADDR] [--log-level info]
        [--revocations URL [--revocations-every 1m]]
  safetrace party keygen --id I --name NAME --mesh HOST:PORT --out FILE [--public FILE]`

// runParty dispatches the forms of "safetrace party": the server (flags
// first) or keygen.
func runParty(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("party: missing flags\nsafetrace: hint: 'safetrace party -h' lists them")
	}
	switch {
	case args[0] == "keygen":
		return partyKeygen(ctx, args[1:])
	case isHelp(args[0]):
		fmt.Fprintln(stdout, partyUsage)
		return nil
	}
	if !strings.HasPrefix(args[0], "-") {
		return fmt.Errorf("party: unknown subcommand %q\nsafetrace: hint: 'safetrace party -h' lists them", args[0])
	}
	return partyServe(ctx, args)
}

// partyServe runs a party server until ctx is done (SIGINT or SIGTERM).
func partyServe(ctx context.Context, args []string) error {
	fs := newFlagSet("party")
	fs.Usage = usageFunc(fs, partyUsage)
	mpath := fs.String("manifest", "", "signed manifest `file` (required)")
	kpath := fs.String("key", "", "this party's private key `file` (required)")
	data := fs.String("data", "", "data `directory` for the store, or for the day-key file of a PostgreSQL store (required; created 0700)")
	storeSpec := fs.String("store", "", "the party's `database`: a postgres:// URL (several front ends of one party may share it), or empty for the bbolt file party.db in --data")
	keyFile := fs.String("keys", "", "day-key `file` of a PostgreSQL store, shared by all its front ends (default: pg.keys in --data)")
	leaseTTL := fs.Duration("lease-ttl", server.DefaultLeaseTTL, "lifetime of the computation lease of front ends sharing a PostgreSQL store; a dead holder's lease moves on within about 4/3 of it")
	instance := fs.String("instance", "", "`name` of this front end in the computation lease (default host/pid/random)")
	listen := fs.String("listen", "", "`address` for /healthz, /readyz and /metrics (optional, e.g. 127.0.0.1:9101)")
	level := fs.String("log-level", "info", "log `level`: debug, info, warn, error")
	expire := fs.Duration("expire-every", server.DefaultExpireEvery, "retention deletion `period`")
	meshTimeout := fs.Duration("mesh-timeout", 60*time.Second, "how `long` a computation waits for the other parties before it fails")
	runInterval := fs.Duration("min-run-interval", server.DefaultMinRunInterval, "least `time` between two requested runs of a computation (negative: no limit)")
	revURL := fs.String("revocations", "", "`URL` of the authority's revocation list to fetch (GET /v1/revocations of 'safetrace authority serve'); the newest list is kept in DIR/revocations.json")
	revEvery := fs.Duration("revocations-every", server.DefaultRevocationsEvery, "how `often` to fetch the revocation list")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *mpath == "" || *kpath == "" || *data == "" {
		return errors.New("party: --manifest, --key and --data are required\nsafetrace: hint: 'safetrace party -h' lists the flags")
	}
	log, err := partyLogger(*level)
	if err != nil {
		return err
	}
	m, err := readVerifiedManifest(*mpath)
	if err != nil {
		return err
	}
	key, err := keys.Load(*kpath)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*data, 0o700); err != nil {
		return err
	}
	st, desc, err := openPartyStore(ctx, *storeSpec, *data, *keyFile, m)
	if err != nil {
		return err
	}
	defer st.Close()
	log.Info("store open", "store", desc)
	srv, err := server.New(server.Config{Manifest: m, Key: key, Store: st, Logger: log, ExpireEvery: *expire, MeshTimeout: *meshTimeout,
		MinRunInterval: *runInterval, LeaseTTL: *leaseTTL, Instance: *instance,
		RevocationsURL: *revURL, RevocationsEvery: *revEvery,
		// Always read: lists fetched before stay in force even if a
		// restart leaves out --revocations.
		RevocationsFile: filepath.Join(*data, "revocations.json")})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	httpDone := make(chan error, 1)
	if *listen != "" {
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			return fmt.Errorf("party: --listen: %w", err)
		}
		hs := &http.Server{Handler: srv.HTTPHandler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { httpDone <- hs.Serve(ln) }()
		defer func() {
			sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
			defer c()
			hs.Shutdown(sctx)
			<-httpDone
		}()
		log.Info("serving health and metrics", "addr", ln.Addr().String())
	}
	return srv.Run(ctx)
}

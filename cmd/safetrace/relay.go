package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/safetrace/safetrace/relay"
)

func runRelay(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("relay", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8443", "`address` to listen on")
	manifest := fs.String("manifest", "manifest.json", "deployment manifest `file` naming the parties and their signing keys")
	name := fs.String("name", "", "the relay's advertised `URL`, as parties dial it (default ws://ADDR)")
	var origins stringList
	fs.Var(&origins, "origin", "browser `origin` allowed to connect (repeatable; \"*\" allows any)")
	forwarded := fs.Bool("trust-forwarded-for", false, "take client addresses from X-Forwarded-For (only behind a reverse proxy)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: safetrace relay --listen ADDR [--manifest FILE] [--origin ORIGIN ...] [--name URL]")
		fmt.Fprintln(fs.Output(), "\nRun a stateless WebSocket relay between clients and parties.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("relay: unexpected argument %q", fs.Arg(0))
	}
	parties, hash, err := loadRelayManifest(*manifest)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("relay: %w", err)
	}
	if *name == "" {
		*name = "ws://" + ln.Addr().String()
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	s, err := relay.New(relay.Config{
		Name:              *name,
		Parties:           parties,
		ManifestHash:      hash,
		AllowedOrigins:    origins,
		TrustForwardedFor: *forwarded,
		Logger:            log,
	})
	if err != nil {
		ln.Close()
		return err
	}
	log.Info("relay listening", "addr", ln.Addr().String(), "name", *name, "parties", len(parties), "manifest", hex.EncodeToString(hash))
	return s.Serve(ctx, ln)
}

// loadRelayManifest reads the party signing keys from a deployment manifest
// and returns them with the manifest hash (SHA-256 of the file's bytes).
//
// It reads only the minimal view {"parties":[{"id":1,"sign_key":"<base64
// std Ed25519 public key>"}, ...]} and ignores every other field, until the
// manifest package replaces it. It does not check the parties' signatures on
// the manifest: the relay trusts the operator's copy.
func loadRelayManifest(path string) (map[int]ed25519.PublicKey, []byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("relay: manifest: %w", err)
	}
	var m struct {
		Parties []struct {
			ID      int    `json:"id"`
			SignKey string `json:"sign_key"`
		} `json:"parties"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, nil, fmt.Errorf("relay: manifest %s: %w", path, err)
	}
	if len(m.Parties) == 0 {
		return nil, nil, fmt.Errorf("relay: manifest %s lists no parties", path)
	}
	keys := make(map[int]ed25519.PublicKey, len(m.Parties))
	for _, p := range m.Parties {
		k, err := base64.StdEncoding.DecodeString(p.SignKey)
		if err != nil || len(k) != ed25519.PublicKeySize {
			return nil, nil, fmt.Errorf("relay: manifest %s: party %d: sign_key is not a base64 Ed25519 public key", path, p.ID)
		}
		if p.ID < 1 || p.ID > 255 {
			return nil, nil, fmt.Errorf("relay: manifest %s: party id %d out of range 1..255", path, p.ID)
		}
		if _, dup := keys[p.ID]; dup {
			return nil, nil, fmt.Errorf("relay: manifest %s: party %d listed twice", path, p.ID)
		}
		keys[p.ID] = k
	}
	h := sha256.Sum256(b)
	return keys, h[:], nil
}

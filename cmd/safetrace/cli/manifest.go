package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/safetrace/safetrace/deploy/keys"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/internal/testenv/localdeploy"
)

const manifestUsage = `usage:
  safetrace manifest init --parties N --threshold T --out DIR [--mesh-base-port 7001]
        [--relay ws://127.0.0.1:8081/ws] [--origin http://localhost:8080] [--deployment local]
  safetrace manifest create --party FILE... --authority FILE... --threshold T --out FILE
        [--relay URL...] [--origin URL] [--deployment NAME] [--serial 1]
  safetrace manifest sign --manifest FILE --key FILE
  safetrace manifest verify FILE`

func runManifest(ctx context.Context, args []string) error {
	return dispatch(ctx, "manifest", manifestUsage, args, verbs{
		"init":   noContext(manifestInit),
		"create": noContext(manifestCreate),
		"sign":   noContext(manifestSign),
		"verify": noContext(manifestVerify),
	})
}

func manifestInit(args []string) error {
	fs := newFlagSet("manifest init")
	n := fs.Int("parties", 3, "number of parties `n`")
	t := fs.Int("threshold", 1, "parties that may collude `t` (n >= 2t+1)")
	out := fs.String("out", "", "output `directory` (required)")
	port := fs.Int("mesh-base-port", 7001, "party i listens on 127.0.0.1:`port`+i-1")
	relay := fs.String("relay", "ws://127.0.0.1:8081/ws", "relay `URL`")
	origin := fs.String("origin", "http://localhost:8080", "web app `origin`")
	name := fs.String("deployment", "local", "deployment `name`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("manifest init: --out DIR is required")
	}
	d, err := localdeploy.New(*n, *t, localdeploy.Options{Deployment: *name, MeshBasePort: *port, Relay: *relay, Origin: *origin})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return err
	}
	mpath := filepath.Join(*out, "manifest.json")
	if _, err := os.Stat(mpath); err == nil {
		return fmt.Errorf("manifest init: %s exists; refusing to overwrite a deployment", mpath)
	}
	for _, k := range d.Parties {
		if err := k.Save(filepath.Join(*out, fmt.Sprintf("party%d.key", k.ID))); err != nil {
			return err
		}
	}
	if err := d.Authority.Save(filepath.Join(*out, "authority.key")); err != nil {
		return err
	}
	if err := writeManifest(mpath, d.Manifest); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (hash %s), party1.key..party%d.key and authority.key in %s\n", mpath, d.Manifest.Hash(), *n, *out)
	return nil
}

func manifestCreate(args []string) error {
	fs := newFlagSet("manifest create")
	var parties, authorities, relays stringList
	fs.Var(&parties, "party", "a party's public `file` from 'safetrace party keygen' (repeat for each)")
	fs.Var(&authorities, "authority", "an authority's public `file` from 'safetrace authority keygen' (repeatable)")
	fs.Var(&relays, "relay", "relay `URL` (repeatable; default ws://127.0.0.1:8081/ws)")
	t := fs.Int("threshold", 1, "parties that may collude `t`")
	origin := fs.String("origin", "http://localhost:8080", "web app `origin`")
	name := fs.String("deployment", "local", "deployment `name`")
	serial := fs.Int64("serial", 1, "manifest `serial`; raise it for every change")
	out := fs.String("out", "", "output `file` (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("manifest create: --out FILE is required")
	}
	if len(relays) == 0 {
		relays = stringList{"ws://127.0.0.1:8081/ws"}
	}
	m := &manifest.Manifest{
		Version: manifest.Version, Deployment: *name, Serial: *serial, N: len(parties), T: *t,
		HPKESuite: manifest.HPKESuite, Relays: relays, AppOrigin: *origin,
		Params: manifest.DefaultParams(), Computations: manifest.DefaultComputations(),
	}
	for _, f := range parties {
		var p manifest.Party
		if err := readStrictJSON(f, &p); err != nil {
			return err
		}
		m.Parties = append(m.Parties, p)
	}
	// Parties are listed by id, whatever the order of the flags.
	slices.SortFunc(m.Parties, func(a, b manifest.Party) int { return a.ID - b.ID })
	for _, f := range authorities {
		var a manifest.Authority
		if err := readStrictJSON(f, &a); err != nil {
			return err
		}
		m.Authorities = append(m.Authorities, a)
	}
	if err := m.Validate(); err != nil {
		return err
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("manifest create: %s exists; refusing to overwrite", *out)
	}
	if err := writeManifest(*out, m); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote unsigned manifest %s (hash %s); each party now runs 'safetrace manifest sign'\n", *out, m.Hash())
	return nil
}

func manifestSign(args []string) error {
	fs := newFlagSet("manifest sign")
	mpath := fs.String("manifest", "", "manifest `file` to sign in place (required)")
	kpath := fs.String("key", "", "this party's private key `file` (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *mpath == "" || *kpath == "" {
		return errors.New("manifest sign: --manifest FILE and --key FILE are required")
	}
	m, err := readManifest(*mpath)
	if err != nil {
		return err
	}
	k, err := keys.Load(*kpath)
	if err != nil {
		return err
	}
	if err := m.Sign(k.ID, k.Sign); err != nil {
		return err
	}
	if err := writeManifest(*mpath, m); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "party %d signed %s (hash %s)\n", k.ID, *mpath, m.Hash())
	if err := m.VerifySignatures(); err != nil {
		fmt.Fprintf(stdout, "not yet complete: %v\n", err)
	} else {
		fmt.Fprintln(stdout, "all parties have signed: the manifest verifies")
	}
	return nil
}

func manifestVerify(args []string) error {
	if len(args) == 1 && isHelp(args[0]) {
		fmt.Fprintln(stdout, "usage: safetrace manifest verify FILE")
		return nil
	}
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		return errors.New("manifest verify: want one manifest FILE\nsafetrace: hint: usage: safetrace manifest verify FILE")
	}
	m, err := readManifest(args[0])
	if err != nil {
		return err
	}
	if err := m.Verify(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deployment %q serial %d: OK, signed by all %d parties\n", m.Deployment, m.Serial, m.N)
	fmt.Fprintf(stdout, "hash        %s\n", m.Hash())
	fmt.Fprintf(stdout, "threshold   n = %d, t = %d (any %d shares reconstruct)\n", m.N, m.T, m.T+1)
	fmt.Fprintf(stdout, "hpke suite  %s\n", m.HPKESuite)
	for _, p := range m.Parties {
		fmt.Fprintf(stdout, "party %d     %s, mesh %s\n", p.ID, p.Name, p.Mesh)
	}
	fmt.Fprintf(stdout, "relays      %s\n", strings.Join(m.Relays, " "))
	fmt.Fprintf(stdout, "app origin  %s\n", m.AppOrigin)
	for _, a := range m.Authorities {
		fmt.Fprintf(stdout, "authority   %s\n", a.Name)
	}
	for _, c := range m.Computations {
		fmt.Fprintf(stdout, "computation %s %s\n", c.Name, c.Hash)
	}
	p := m.Params
	fmt.Fprintf(stdout, "params      %d-minute buckets, %d days retention, risk threshold %d weighted minutes, k = %d, epochs every %s\n",
		p.BucketMinutes, p.RetentionDays, p.Risk.ThresholdWeightedMinutes, p.KAnonymity, p.EpochSchedule)
	return nil
}

func readManifest(path string) (*manifest.Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := manifest.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// readVerifiedManifest reads a manifest and verifies it, all n signatures
// included.
func readVerifiedManifest(path string) (*manifest.Manifest, error) {
	m, err := readManifest(path)
	if err != nil {
		return nil, err
	}
	if err := m.Verify(); err != nil {
		return nil, fmt.Errorf("%s: %w\nsafetrace: hint: every party must sign the manifest ('safetrace manifest sign') before it is used", path, err)
	}
	return m, nil
}

// writeManifest replaces path atomically: a crash leaves the old or the new
// manifest, never half of one.
func writeManifest(path string, m *manifest.Manifest) error {
	b, err := m.Marshal()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".manifest-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

package manifest

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Limits of the structural checks in Validate.
const (
	MaxParties     = 255 // x coordinates must be non-zero elements of GF(2^8)
	MaxAuthorities = 64
	MaxRelays      = 64
	MaxRegions     = 10000
	MaxNameLen     = 128
)

// Validate checks everything in m except the signatures, with an error that
// names the first problem found: a known version and suite, n >= 2t+1 with
// t >= 1, parties listed with ids 1..n in order, key sizes and valid X25519
// points, no key, name or mesh address used twice, relay and origin URLs,
// authorities, computation hashes and parameters in sane ranges.
func (m *Manifest) Validate() error {
	if err := m.validate(); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	return nil
}

func (m *Manifest) validate() error {
	if m.Version != Version {
		return fmt.Errorf("unknown version %d (this build knows version %d)", m.Version, Version)
	}
	if err := checkName("deployment", m.Deployment); err != nil {
		return err
	}
	if m.Serial < 1 {
		return fmt.Errorf("serial %d: must be at least 1", m.Serial)
	}
	if m.T < 1 {
		return fmt.Errorf("t = %d: must be at least 1", m.T)
	}
	if m.N < 2*m.T+1 || m.N > MaxParties {
		return fmt.Errorf("n = %d, t = %d: need 2t+1 <= n <= %d", m.N, m.T, MaxParties)
	}
	if m.HPKESuite != HPKESuite {
		return fmt.Errorf("hpke_suite %q: want %q", m.HPKESuite, HPKESuite)
	}
	if len(m.Parties) != m.N {
		return fmt.Errorf("%d parties listed, n = %d", len(m.Parties), m.N)
	}
	keys := map[string]string{}
	uniqueKey := func(what string, k []byte) error {
		if prev, ok := keys[string(k)]; ok {
			return fmt.Errorf("%s is the same key as %s", what, prev)
		}
		keys[string(k)] = what
		return nil
	}
	names, meshes := map[string]bool{}, map[string]bool{}
	for i, p := range m.Parties {
		if p.ID != i+1 {
			return fmt.Errorf("parties[%d] has id %d: ids must be 1..n in order", i, p.ID)
		}
		what := fmt.Sprintf("party %d", p.ID)
		if err := checkName(what+" name", p.Name); err != nil {
			return err
		}
		if names[p.Name] {
			return fmt.Errorf("%s: name %q used twice", what, p.Name)
		}
		names[p.Name] = true
		if len(p.HPKEKey) != 32 {
			return fmt.Errorf("%s: hpke_key is %d bytes, want 32 (X25519)", what, len(p.HPKEKey))
		}
		if _, err := ecdh.X25519().NewPublicKey(p.HPKEKey); err != nil {
			return fmt.Errorf("%s: hpke_key: %v", what, err)
		}
		if bytes.Equal(p.HPKEKey, make([]byte, 32)) {
			return fmt.Errorf("%s: hpke_key is zero", what)
		}
		if err := uniqueKey(what+" hpke_key", p.HPKEKey); err != nil {
			return err
		}
		if len(p.SignKey) != ed25519.PublicKeySize {
			return fmt.Errorf("%s: sign_key is %d bytes, want %d (ed25519)", what, len(p.SignKey), ed25519.PublicKeySize)
		}
		if err := uniqueKey(what+" sign_key", p.SignKey); err != nil {
			return err
		}
		if err := checkHostPort(p.Mesh); err != nil {
			return fmt.Errorf("%s: mesh: %v", what, err)
		}
		if meshes[p.Mesh] {
			return fmt.Errorf("%s: mesh address %q used twice", what, p.Mesh)
		}
		meshes[p.Mesh] = true
	}
	if len(m.Relays) == 0 || len(m.Relays) > MaxRelays {
		return fmt.Errorf("%d relays: need 1..%d", len(m.Relays), MaxRelays)
	}
	relays := map[string]bool{}
	for _, r := range m.Relays {
		if err := checkURL(r, "ws", "wss"); err != nil {
			return fmt.Errorf("relay %q: %v", r, err)
		}
		if relays[r] {
			return fmt.Errorf("relay %q listed twice", r)
		}
		relays[r] = true
	}
	if err := checkURL(m.AppOrigin, "http", "https"); err != nil {
		return fmt.Errorf("app_origin %q: %v", m.AppOrigin, err)
	}
	if u, _ := url.Parse(m.AppOrigin); u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("app_origin %q: an origin has no path, query or fragment", m.AppOrigin)
	}
	if len(m.Authorities) == 0 || len(m.Authorities) > MaxAuthorities {
		return fmt.Errorf("%d authorities: need 1..%d", len(m.Authorities), MaxAuthorities)
	}
	anames := map[string]bool{}
	for i, a := range m.Authorities {
		what := fmt.Sprintf("authorities[%d]", i)
		if err := checkName(what+" name", a.Name); err != nil {
			return err
		}
		if anames[a.Name] {
			return fmt.Errorf("%s: name %q used twice", what, a.Name)
		}
		anames[a.Name] = true
		if len(a.Key) != ed25519.PublicKeySize {
			return fmt.Errorf("%s (%s): key is %d bytes, want %d (ed25519)", what, a.Name, len(a.Key), ed25519.PublicKeySize)
		}
		if err := uniqueKey(what+" key", a.Key); err != nil {
			return err
		}
	}
	if err := m.Params.validate(); err != nil {
		return fmt.Errorf("params: %w", err)
	}
	if len(m.Computations) == 0 {
		return errors.New("no computations")
	}
	cnames := map[string]bool{}
	for _, c := range m.Computations {
		if err := checkName("computation name", c.Name); err != nil {
			return err
		}
		if cnames[c.Name] {
			return fmt.Errorf("computation %q listed twice", c.Name)
		}
		cnames[c.Name] = true
		if b, err := hex.DecodeString(c.Hash); err != nil || len(b) != 32 || strings.ToLower(c.Hash) != c.Hash {
			return fmt.Errorf("computation %q: hash %q is not 64 lower case hex digits (SHA-256)", c.Name, c.Hash)
		}
	}
	return nil
}

// checkName accepts 1..MaxNameLen printable characters without leading or
// trailing space.
func checkName(what, s string) error {
	if s == "" || len(s) > MaxNameLen {
		return fmt.Errorf("%s %q: need 1..%d bytes", what, s, MaxNameLen)
	}
	if strings.TrimSpace(s) != s {
		return fmt.Errorf("%s %q: leading or trailing space", what, s)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || r == unicode.ReplacementChar {
			return fmt.Errorf("%s %q: not printable", what, s)
		}
	}
	return nil
}

func checkHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return err
	}
	if host == "" {
		return fmt.Errorf("%q: empty host", s)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 || strconv.Itoa(p) != port {
		return fmt.Errorf("%q: port must be 1..65535", s)
	}
	return nil
}

func checkURL(s string, schemes ...string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.String() != s {
		return fmt.Errorf("not in normal form (%q)", u.String())
	}
	ok := false
	for _, sc := range schemes {
		ok = ok || u.Scheme == sc
	}
	if !ok {
		return fmt.Errorf("scheme must be one of %v", schemes)
	}
	if u.Host == "" || u.User != nil || u.Opaque != "" {
		return errors.New("need scheme://host[:port]/path without user info")
	}
	if u.Port() != "" {
		if err := checkHostPort(u.Host); err != nil {
			return err
		}
	}
	return nil
}

// ParseSchedule returns the epoch interval of an epoch_schedule value.
func ParseSchedule(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("manifest: epoch_schedule %q: %v", s, err)
	}
	if d < time.Minute || d > 7*24*time.Hour || d%time.Minute != 0 {
		return 0, fmt.Errorf("manifest: epoch_schedule %q: need whole minutes from 1m to 168h", s)
	}
	return d, nil
}

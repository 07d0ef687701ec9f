package manifest_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"

	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/internal/testenv/localdeploy"
)

func newLocal(t testing.TB, n, th int) *localdeploy.Deployment {
	t.Helper()
	d, err := localdeploy.New(n, th, localdeploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// clone returns a deep copy of m through its JSON form.
func clone(t testing.TB, m *manifest.Manifest) *manifest.Manifest {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	c, err := manifest.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRoundTrip(t *testing.T) {
	for _, nt := range [][2]int{{3, 1}, {5, 2}, {4, 1}} {
		d := newLocal(t, nt[0], nt[1])
		m := clone(t, d.Manifest)
		if err := m.Verify(); err != nil {
			t.Fatalf("n=%d t=%d: %v", nt[0], nt[1], err)
		}
		if m.Hash() != d.Manifest.Hash() {
			t.Fatal("hash changed by marshal and parse")
		}
	}
}

// The canonical bytes depend on the content only: white space and key order
// of the file do not change the hash, and signatures are not hashed.
func TestHashIgnoresFormatting(t *testing.T) {
	d := newLocal(t, 3, 1)
	b, _ := d.Manifest.Marshal()
	var generic map[string]any
	if err := json.Unmarshal(b, &generic); err != nil {
		t.Fatal(err)
	}
	compact, _ := json.Marshal(generic) // map keys sorted: a different key order
	m, err := manifest.Parse(compact)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Verify(); err != nil {
		t.Fatal(err)
	}
	if m.Hash() != d.Manifest.Hash() {
		t.Fatal("hash depends on formatting")
	}
	m.Signatures = nil
	if m.Hash() != d.Manifest.Hash() {
		t.Fatal("hash depends on signatures")
	}
	if bytes.Contains(d.Manifest.CanonicalBytes(), []byte("signatures")) {
		t.Fatal("canonical bytes contain the signatures")
	}
}

func TestSignatures(t *testing.T) {
	d := newLocal(t, 3, 1)

	t.Run("changed after signing", func(t *testing.T) {
		m := clone(t, d.Manifest)
		m.Relays[0] = "ws://evil.example:8081/ws"
		err := m.Verify()
		if err == nil || !strings.Contains(err.Error(), "invalid signatures by parties [1 2 3]") {
			t.Fatalf("got %v", err)
		}
		// Re-signing by party 2 replaces its signature; 1 and 3 stay invalid.
		if err := m.Sign(2, d.Parties[1].Sign); err != nil {
			t.Fatal(err)
		}
		if len(m.Signatures) != 3 {
			t.Fatalf("%d signatures after re-signing", len(m.Signatures))
		}
		err = m.Verify()
		if err == nil || !strings.Contains(err.Error(), "parties [1 3]") {
			t.Fatalf("got %v", err)
		}
		m.Sign(1, d.Parties[0].Sign)
		m.Sign(3, d.Parties[2].Sign)
		if err := m.Verify(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		m := clone(t, d.Manifest)
		m.Signatures = m.Signatures[:2]
		if err := m.Verify(); err == nil || !strings.Contains(err.Error(), "no signature by parties [3]") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("unknown signer", func(t *testing.T) {
		m := clone(t, d.Manifest)
		m.Signatures = append(m.Signatures, manifest.Signature{Party: 4, Sig: m.Signatures[0].Sig})
		if err := m.Verify(); err == nil || !strings.Contains(err.Error(), "unknown party 4") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("duplicate", func(t *testing.T) {
		m := clone(t, d.Manifest)
		m.Signatures = append(m.Signatures, m.Signatures[0])
		if err := m.Verify(); err == nil || !strings.Contains(err.Error(), "more than one signature by party 1") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("swapped", func(t *testing.T) {
		m := clone(t, d.Manifest)
		m.Signatures[0].Sig, m.Signatures[1].Sig = m.Signatures[1].Sig, m.Signatures[0].Sig
		if err := m.Verify(); err == nil || !strings.Contains(err.Error(), "invalid signatures by parties [1 2]") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("short", func(t *testing.T) {
		m := clone(t, d.Manifest)
		m.Signatures[2].Sig = m.Signatures[2].Sig[:10]
		if err := m.Verify(); err == nil || !strings.Contains(err.Error(), "invalid signatures by parties [3]") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		m := clone(t, d.Manifest)
		if err := m.Sign(1, d.Parties[1].Sign); err == nil || !strings.Contains(err.Error(), "does not match the sign_key of party 1") {
			t.Fatalf("got %v", err)
		}
		if err := m.Sign(9, d.Parties[1].Sign); err == nil {
			t.Fatal("signed as party 9")
		}
	})
}

func TestValidate(t *testing.T) {
	d := newLocal(t, 3, 1)
	other := newLocal(t, 3, 1)
	tests := []struct {
		name   string
		change func(m *manifest.Manifest)
		want   string
	}{
		// Header.
		{"version", func(m *manifest.Manifest) { m.Version = 2 }, "unknown version 2"},
		{"no deployment", func(m *manifest.Manifest) { m.Deployment = "" }, "deployment"},
		{"serial", func(m *manifest.Manifest) { m.Serial = 0 }, "serial 0"},
		{"suite", func(m *manifest.Manifest) { m.HPKESuite = "X25519/AES" }, "hpke_suite"},
		// Threshold.
		{"t zero", func(m *manifest.Manifest) { m.T = 0 }, "t = 0"},
		{"n < 2t+1", func(m *manifest.Manifest) { m.T = 2 }, "need 2t+1 <= n"},
		{"n != parties", func(m *manifest.Manifest) { m.N = 4 }, "3 parties listed, n = 4"},
		// Parties.
		{"id order", func(m *manifest.Manifest) { m.Parties[0].ID, m.Parties[1].ID = 2, 1 }, "parties[0] has id 2"},
		{"id zero", func(m *manifest.Manifest) { m.Parties[0].ID = 0 }, "parties[0] has id 0"},
		{"dup name", func(m *manifest.Manifest) { m.Parties[1].Name = m.Parties[0].Name }, "used twice"},
		{"hpke short", func(m *manifest.Manifest) { m.Parties[0].HPKEKey = m.Parties[0].HPKEKey[:31] }, "hpke_key is 31 bytes"},
		{"hpke zero", func(m *manifest.Manifest) { m.Parties[0].HPKEKey = make([]byte, 32) }, "hpke_key"},
		{"hpke dup", func(m *manifest.Manifest) { m.Parties[1].HPKEKey = m.Parties[0].HPKEKey }, "same key"},
		{"sign short", func(m *manifest.Manifest) { m.Parties[2].SignKey = m.Parties[2].SignKey[:16] }, "sign_key is 16 bytes"},
		{"sign dup", func(m *manifest.Manifest) { m.Parties[2].SignKey = m.Parties[0].SignKey }, "same key"},
		{"sign = authority", func(m *manifest.Manifest) { m.Authorities[0].Key = m.Parties[0].SignKey }, "same key"},
		{"mesh", func(m *manifest.Manifest) { m.Parties[0].Mesh = "localhost" }, "mesh"},
		{"mesh port", func(m *manifest.Manifest) { m.Parties[0].Mesh = "localhost:70000" }, "port"},
		{"mesh dup", func(m *manifest.Manifest) { m.Parties[1].Mesh = m.Parties[0].Mesh }, "used twice"},
		// Relays and origin.
		{"no relays", func(m *manifest.Manifest) { m.Relays = nil }, "0 relays"},
		{"relay scheme", func(m *manifest.Manifest) { m.Relays = []string{"http://r/ws"} }, "scheme"},
		{"relay dup", func(m *manifest.Manifest) { m.Relays = append(m.Relays, m.Relays[0]) }, "twice"},
		{"origin path", func(m *manifest.Manifest) { m.AppOrigin = "http://localhost:8080/app" }, "origin has no path"},
		{"origin scheme", func(m *manifest.Manifest) { m.AppOrigin = "ftp://localhost" }, "scheme"},
		// Authorities.
		{"no authority", func(m *manifest.Manifest) { m.Authorities = nil }, "0 authorities"},
		{"authority key", func(m *manifest.Manifest) { m.Authorities[0].Key = nil }, "key is 0 bytes"},
		{"authority dup", func(m *manifest.Manifest) {
			m.Authorities = append(m.Authorities, manifest.Authority{Name: m.Authorities[0].Name, Key: other.Authority.Public().Key})
		}, "used twice"},
		// Params.
		{"bucket", func(m *manifest.Manifest) { m.Params.BucketMinutes = 7 }, "divide a day"},
		{"retention", func(m *manifest.Manifest) { m.Params.RetentionDays = 0 }, "retention_days"},
		{"tail", func(m *manifest.Manifest) { m.Params.AerosolTailMinutes = -1 }, "aerosol_tail_minutes"},
		{"geohash", func(m *manifest.Manifest) { m.Params.GeohashPrecision = 13 }, "geohash_precision"},
		{"gps", func(m *manifest.Manifest) { m.Params.GPSAccuracyM = 0 }, "gps_accuracy_m"},
		{"threshold", func(m *manifest.Manifest) { m.Params.Risk.ThresholdWeightedMinutes = 0 }, "threshold_weighted_minutes"},
		{"weight > max", func(m *manifest.Manifest) { m.Params.Risk.Weights[7] = 1601 }, "risk.weights[7]"},
		{"weight < 0", func(m *manifest.Manifest) { m.Params.Risk.Weights[0] = -1 }, "risk.weights[0]"},
		{"no weights", func(m *manifest.Manifest) { m.Params.Risk.Weights = nil }, "0 weights"},
		{"scale", func(m *manifest.Manifest) { m.Params.Risk.WeightScale = 0 }, "weight_scale"},
		{"chunk small", func(m *manifest.Manifest) { m.Params.Risk.MaxChunk = 999 }, "risk.max_chunk"},
		{"chunk negative", func(m *manifest.Manifest) { m.Params.Risk.MaxChunk = -1 }, "risk.max_chunk"},
		{"chunk large", func(m *manifest.Manifest) { m.Params.Risk.MaxChunk = 10000001 }, "risk.max_chunk"},
		{"k", func(m *manifest.Manifest) { m.Params.KAnonymity = 1 }, "k_anonymity"},
		{"schedule", func(m *manifest.Manifest) { m.Params.EpochSchedule = "soon" }, "epoch_schedule"},
		{"schedule short", func(m *manifest.Manifest) { m.Params.EpochSchedule = "30s" }, "epoch_schedule"},
		{"region", func(m *manifest.Manifest) { m.Params.Regions = []string{"u33a"} }, "not a lower case geohash"},
		{"region long", func(m *manifest.Manifest) { m.Params.Regions = []string{"u33dddddd"} }, "geohash_precision"},
		{"region dup", func(m *manifest.Manifest) { m.Params.Regions = []string{"u33d", "u33d"} }, "twice"},
		// Computations.
		{"no computations", func(m *manifest.Manifest) { m.Computations = nil }, "no computations"},
		{"computation hash", func(m *manifest.Manifest) { m.Computations[0].Hash = "abc" }, "64 lower case hex"},
		{"computation upper", func(m *manifest.Manifest) {
			m.Computations[0].Hash = strings.ToUpper(m.Computations[0].Hash)
		}, "64 lower case hex"},
		{"computation dup", func(m *manifest.Manifest) { m.Computations[1].Name = m.Computations[0].Name }, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := clone(t, d.Manifest)
			tt.change(m)
			err := m.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "manifest: ") {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if m.Verify() == nil {
				t.Fatal("Verify accepted it")
			}
			if m.Sign(1, d.Parties[0].Sign) == nil {
				t.Fatal("Sign accepted it")
			}
		})
	}
}

func TestParseStrict(t *testing.T) {
	d := newLocal(t, 3, 1)
	good, _ := d.Manifest.Marshal()
	tests := []struct {
		name, in, want string
	}{
		{"unknown field", strings.Replace(string(good), `"version": 1`, `"version": 1, "extra": 2`, 1), "unknown field"},
		{"duplicate key", strings.Replace(string(good), `"version": 1`, `"version": 1, "version": 1`, 1), `duplicate key "version"`},
		{"case-folded duplicate", strings.Replace(string(good), `"version": 1`, `"version": 1, "Version": 1`, 1), `key "Version"`},
		{"nested duplicate", strings.Replace(string(good), `"bucket_minutes": 10`, `"bucket_minutes": 10, "bucket_minutes": 5`, 1), `duplicate key "bucket_minutes"`},
		{"upper case key", strings.Replace(string(good), `"serial"`, `"SERIAL"`, 1), `key "SERIAL"`},
		{"trailing object", string(good) + "{}", "trailing data"},
		{"trailing garbage", string(good) + "x", "invalid character"},
		{"array", "[]", "not a JSON object"},
		{"empty", "", "empty input"},
		{"float", strings.Replace(string(good), `"serial": 1`, `"serial": 1.5`, 1), "serial"},
		{"string number", strings.Replace(string(good), `"serial": 1`, `"serial": "1"`, 1), "serial"},
		{"bad base64", strings.Replace(string(good), `"hpke_key": "`, `"hpke_key": "!`, 1), "illegal base64"},
		{"too large", string(good) + strings.Repeat(" ", manifest.MaxSize), "maximum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := manifest.Parse([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := manifest.Parse(good); err != nil {
		t.Fatal(err)
	}
}

func TestDefaultsValid(t *testing.T) {
	m := newLocal(t, 3, 1).Manifest
	if _, ok := m.Computation(manifest.ComputationExposure); !ok {
		t.Fatal("no exposure computation")
	}
	if d, err := manifest.ParseSchedule(m.Params.EpochSchedule); err != nil || d.Hours() != 1 {
		t.Fatal(d, err)
	}
	if p, ok := m.Party(2); !ok || len(p.SignKey) != ed25519.PublicKeySize {
		t.Fatal("party 2 missing")
	}
	// The epoch's chunks: the default, off, and the range's ends.
	if c := manifest.DefaultParams().Risk.MaxChunk; c != 200000 {
		t.Errorf("default max_chunk %d", c)
	}
	for _, c := range []int{0, 1000, 10000000} {
		mc := clone(t, m)
		mc.Params.Risk.MaxChunk = c
		if err := mc.Validate(); err != nil {
			t.Errorf("max_chunk %d: %v", c, err)
		}
	}
}

// Package manifest implements the SafeTrace deployment manifest (DESIGN.md
// section 4.1): the signed JSON document that names a deployment's parties and
// their keys, the relays, the threshold, the health authorities' keys, the
// tracing parameters and the computations the parties may run.
//
// Entry points: [Parse] decodes a manifest strictly (unknown, duplicate or
// non-lower-case keys and trailing data are errors); [Manifest.Verify] checks
// every field and all n party signatures; [Manifest.Hash] is the manifest hash
// that clients bind their HPKE envelopes to; [Manifest.Sign] adds one party's
// signature.
//
// Canonical bytes: [Manifest.CanonicalBytes] is the manifest with its
// "signatures" field removed, encoded by encoding/json from the [Manifest]
// struct: keys in struct field order, no insignificant white space, byte
// strings in standard padded base64, HTML characters escaped as \u003c etc.
// Because they are recomputed from the decoded struct, white space and key
// order of a manifest file do not matter, only its content. A party signs
// SignaturePrefix || canonical bytes with ed25519; the hash is SHA-256 of the
// canonical bytes (without the prefix).
//
// Warning: a manifest is only as trustworthy as its signatures. A client must
// accept a manifest only after Verify succeeds and must pin its hash; a
// manifest with a new serial replaces a pinned one only after the user agrees.
// Parse alone checks syntax, not authenticity.
package manifest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Version is the only manifest format version this package understands.
const Version = 1

// HPKESuite names the HPKE (RFC 9180) cipher suite of every envelope in a
// version 1 deployment: KEM DHKEM(X25519, HKDF-SHA256) (0x0020), KDF
// HKDF-SHA256 (0x0001), AEAD ChaCha20Poly1305 (0x0003). ChaCha20Poly1305 is
// chosen because the browser client runs as WebAssembly, without AES
// instructions, where a software AES would be slow and not constant time.
const HPKESuite = "DHKEM(X25519, HKDF-SHA256)/HKDF-SHA256/ChaCha20Poly1305"

// SignaturePrefix is prepended to the canonical bytes before a party signs
// them, so that a manifest signature cannot be mistaken for any other ed25519
// signature made with the same key.
const SignaturePrefix = "safetrace manifest signature v1\x00"

// MaxSize is the largest manifest file Parse accepts, in bytes.
const MaxSize = 1 << 20

// Manifest is a deployment manifest. The field order is part of the format:
// it fixes the canonical bytes, so fields must never be reordered.
type Manifest struct {
	Version      int           `json:"version"`
	Deployment   string        `json:"deployment"`
	Serial       int64         `json:"serial"` // a changed manifest is a new, larger serial
	N            int           `json:"n"`      // number of parties
	T            int           `json:"t"`      // parties that may collude; t+1 reconstruct
	HPKESuite    string        `json:"hpke_suite"`
	Parties      []Party       `json:"parties"` // Parties[i].ID == i+1
	Relays       []string      `json:"relays"`
	AppOrigin    string        `json:"app_origin"`
	Authorities  []Authority   `json:"authorities"`
	Params       Params        `json:"params"`
	Computations []Computation `json:"computations"`
	Signatures   []Signature   `json:"signatures,omitempty"` // not part of the canonical bytes
}

// Party is one MPC party server.
type Party struct {
	ID      int               `json:"id"`       // 1..n, the party's Shamir x coordinate
	Name    string            `json:"name"`     // the operating organisation
	HPKEKey []byte            `json:"hpke_key"` // X25519 public key, 32 bytes, for envelopes
	SignKey ed25519.PublicKey `json:"sign_key"` // signs the manifest, receipts and mesh handshakes
	Mesh    string            `json:"mesh"`     // host:port of its party-to-party TLS listener
}

// Authority is a health authority that issues one-time positive-test codes.
type Authority struct {
	Name string            `json:"name"`
	Key  ed25519.PublicKey `json:"key"`
}

// Computation names a computation the parties may run and the SHA-256 (lower
// case hex) of its circuit or program.
type Computation struct {
	Name string `json:"name"`
	Hash string `json:"hash"`
}

// Signature is party Party's ed25519 signature of SignaturePrefix followed by
// the canonical bytes.
type Signature struct {
	Party int    `json:"party"`
	Sig   []byte `json:"sig"`
}

// Hash is the SHA-256 of a manifest's canonical bytes.
type Hash [sha256.Size]byte

// String returns h in lower case hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Parse decodes a manifest strictly. It rejects: input over MaxSize bytes;
// anything but one JSON object; object keys that are duplicated or not made
// of lower case ASCII letters, digits and '_' (encoding/json would otherwise
// match keys case-insensitively, so one field could be given twice); unknown
// fields; numbers that do not fit their field. Parse does not check the
// content: call [Manifest.Verify].
func Parse(data []byte) (*Manifest, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("manifest: %d bytes, more than the maximum %d", len(data), MaxSize)
	}
	if err := checkKeys(data); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	m := new(Manifest)
	if err := dec.Decode(m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("manifest: trailing data after the manifest object")
	}
	return m, nil
}

// checkKeys walks the JSON tokens of data and reports duplicate or
// non-canonical object keys and anything but exactly one top-level object.
func checkKeys(data []byte) error {
	type frame struct {
		obj       bool
		expectKey bool
		keys      map[string]bool
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*frame
	values := 0
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].expectKey = true
		} else if n == 0 {
			values++
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if values > 0 {
			return errors.New("trailing data after the manifest object")
		}
		if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].expectKey {
			if tok == json.Delim('}') {
				stack = stack[:n-1]
				valueDone()
				continue
			}
			key, ok := tok.(string)
			if !ok {
				return fmt.Errorf("object key is %v, not a string", tok)
			}
			if !validKey(key) {
				return fmt.Errorf("key %q: keys are lower case ASCII letters, digits and '_'", key)
			}
			if stack[n-1].keys[key] {
				return fmt.Errorf("duplicate key %q", key)
			}
			stack[n-1].keys[key] = true
			stack[n-1].expectKey = false
			continue
		}
		if len(stack) == 0 && tok != json.Delim('{') {
			return errors.New("not a JSON object")
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{obj: true, expectKey: true, keys: map[string]bool{}})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
	if values != 1 {
		return errors.New("empty input")
	}
	return nil
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// CanonicalBytes returns the bytes that parties sign and that Hash hashes: m
// without its signatures, encoded as described in the package comment. It
// does not modify m.
func (m *Manifest) CanonicalBytes() []byte {
	c := *m
	c.Signatures = nil
	b, err := json.Marshal(&c)
	if err != nil {
		// Unreachable: the struct holds only strings, integers and byte
		// slices, which always encode.
		panic("manifest: " + err.Error())
	}
	return b
}

// Hash returns the SHA-256 of m's canonical bytes: the manifest hash that
// envelopes are bound to. Signatures do not change it.
func (m *Manifest) Hash() Hash { return sha256.Sum256(m.CanonicalBytes()) }

// Marshal returns m with its signatures as indented JSON, for a manifest file.
// Parse(Marshal(m)) yields a manifest equal to m.
func (m *Manifest) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	return append(b, '\n'), nil
}

func signedMessage(m *Manifest) []byte {
	return append([]byte(SignaturePrefix), m.CanonicalBytes()...)
}

// Sign adds party id's signature made with key, replacing any signature the
// party made before, and keeps the signatures sorted by party. The key must
// match the party's sign_key in m. Sign checks m with Validate first, so an
// invalid manifest is never signed. Signatures of other parties are kept even
// if the manifest changed since they signed; Verify reports them.
func (m *Manifest) Sign(id int, key ed25519.PrivateKey) error {
	if err := m.Validate(); err != nil {
		return err
	}
	p, ok := m.Party(id)
	if !ok {
		return fmt.Errorf("manifest: no party %d", id)
	}
	if len(key) != ed25519.PrivateKeySize {
		return fmt.Errorf("manifest: signing key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	if !bytes.Equal(key.Public().(ed25519.PublicKey), p.SignKey) {
		return fmt.Errorf("manifest: key does not match the sign_key of party %d (%s)", id, p.Name)
	}
	sig := ed25519.Sign(key, signedMessage(m))
	m.Signatures = slices.DeleteFunc(m.Signatures, func(s Signature) bool { return s.Party == id })
	m.Signatures = append(m.Signatures, Signature{Party: id, Sig: sig})
	slices.SortStableFunc(m.Signatures, func(a, b Signature) int { return a.Party - b.Party })
	return nil
}

// Party returns the party with the given id.
func (m *Manifest) Party(id int) (Party, bool) {
	for _, p := range m.Parties {
		if p.ID == id {
			return p, true
		}
	}
	return Party{}, false
}

// Computation returns the hash of the named computation.
func (m *Manifest) Computation(name string) (string, bool) {
	for _, c := range m.Computations {
		if c.Name == name {
			return c.Hash, true
		}
	}
	return "", false
}

// Verify checks m completely: Validate, then exactly one valid signature by
// each of the n parties over the current canonical bytes, and no other
// signatures. The error names every party whose signature is missing or
// invalid.
func (m *Manifest) Verify() error {
	if err := m.Validate(); err != nil {
		return err
	}
	return m.VerifySignatures()
}

// VerifySignatures checks the signatures only; it assumes Validate passed.
func (m *Manifest) VerifySignatures() error {
	msg := signedMessage(m)
	seen := make(map[int]bool)
	var bad, missing []int
	for _, s := range m.Signatures {
		p, ok := m.Party(s.Party)
		if !ok {
			return fmt.Errorf("manifest: signature by unknown party %d", s.Party)
		}
		if seen[s.Party] {
			return fmt.Errorf("manifest: more than one signature by party %d", s.Party)
		}
		seen[s.Party] = true
		if len(s.Sig) != ed25519.SignatureSize || !ed25519.Verify(p.SignKey, msg, s.Sig) {
			bad = append(bad, s.Party)
		}
	}
	for _, p := range m.Parties {
		if !seen[p.ID] {
			missing = append(missing, p.ID)
		}
	}
	switch {
	case len(bad) > 0 && len(missing) > 0:
		return fmt.Errorf("manifest: invalid signatures by parties %v (manifest changed after they signed?) and no signature by parties %v", bad, missing)
	case len(bad) > 0:
		return fmt.Errorf("manifest: invalid signatures by parties %v (manifest changed after they signed?)", bad)
	case len(missing) > 0:
		return fmt.Errorf("manifest: no signature by parties %v", missing)
	}
	return nil
}

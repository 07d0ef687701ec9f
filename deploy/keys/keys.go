// Package keys holds a SafeTrace party's private keys and the HPKE (RFC 9180)
// envelopes that carry data to and from parties.
//
// A party has two key pairs: an ed25519 key that signs the manifest, receipts
// and mesh handshakes, and an X25519 key for HPKE in the suite
// [manifest.HPKESuite]. [Generate] makes them, [Load] and [PartyKey.Save] read
// and write the private key file, [PartyKey.Public] gives the manifest entry.
//
// Envelopes: a client pads each party's payload with [Pad] and seals it with
// [Seal] to that party, bound to the manifest hash and party id; the party
// opens it with [Open] and strips the padding with [Unpad]. Results travel the
// other way: the user's device makes a [ResultKey], puts its public part into
// its upload, and each party seals its result share with [SealResult].
//
// Warning: envelopes hide content, not size or timing; pad before sealing.
// HPKE base mode does not authenticate the sender: anyone who knows a party's
// public key can seal to it, so a party must validate what it opens. The key
// file holds secrets in the clear; protect it with file permissions (Save
// writes mode 0600, Load refuses files others can read).
package keys

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hpke"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/safetrace/safetrace/deploy/manifest"
)

// keyFileType tags a party key file so it is not confused with other keys.
const keyFileType = "safetrace party key v1"

const maxKeyFile = 1 << 16

// kem is the KEM of [manifest.HPKESuite].
var kem = hpke.DHKEM(ecdh.X25519())

// PartyKey is one party's private keys and the public details it contributes
// to the manifest. It must not be copied into logs.
type PartyKey struct {
	ID   int    // party id, 1..n
	Name string // organisation name for the manifest
	Mesh string // host:port of the party's mesh listener

	Sign ed25519.PrivateKey // signing key
	HPKE hpke.PrivateKey    // DHKEM(X25519, HKDF-SHA256) decapsulation key
}

// Generate makes fresh keys for party id from crypto/rand.
func Generate(id int, name, mesh string) (*PartyKey, error) {
	if id < 1 || id > manifest.MaxParties {
		return nil, fmt.Errorf("keys: party id %d: need 1..%d", id, manifest.MaxParties)
	}
	_, sign, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	h, err := kem.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	return &PartyKey{ID: id, Name: name, Mesh: mesh, Sign: sign, HPKE: h}, nil
}

// Public returns the party's entry for the manifest.
func (k *PartyKey) Public() manifest.Party {
	return manifest.Party{
		ID:      k.ID,
		Name:    k.Name,
		HPKEKey: k.HPKE.PublicKey().Bytes(),
		SignKey: k.Sign.Public().(ed25519.PublicKey),
		Mesh:    k.Mesh,
	}
}

// keyFile is the JSON form of a party key file.
type keyFile struct {
	Type     string `json:"type"`
	Party    int    `json:"party"`
	Name     string `json:"name"`
	Mesh     string `json:"mesh"`
	SignSeed []byte `json:"sign_seed"`    // ed25519 seed, 32 bytes
	HPKEPriv []byte `json:"hpke_private"` // X25519 private key, 32 bytes
}

// Marshal returns the key file contents: JSON with the ed25519 seed and the
// X25519 private key in base64.
func (k *PartyKey) Marshal() ([]byte, error) {
	hb, err := k.HPKE.Bytes()
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	b, err := json.MarshalIndent(keyFile{
		Type: keyFileType, Party: k.ID, Name: k.Name, Mesh: k.Mesh,
		SignSeed: k.Sign.Seed(), HPKEPriv: hb,
	}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	return append(b, '\n'), nil
}

// Parse decodes a key file made by Marshal.
func Parse(data []byte) (*PartyKey, error) {
	var f keyFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("keys: key file: %w", err)
	}
	if f.Type != keyFileType {
		return nil, fmt.Errorf("keys: key file type %q, want %q", f.Type, keyFileType)
	}
	if f.Party < 1 || f.Party > manifest.MaxParties {
		return nil, fmt.Errorf("keys: key file: party id %d: need 1..%d", f.Party, manifest.MaxParties)
	}
	if len(f.SignSeed) != ed25519.SeedSize {
		return nil, fmt.Errorf("keys: key file: sign_seed is %d bytes, want %d", len(f.SignSeed), ed25519.SeedSize)
	}
	h, err := kem.NewPrivateKey(f.HPKEPriv)
	if err != nil {
		return nil, fmt.Errorf("keys: key file: hpke_private: %w", err)
	}
	return &PartyKey{
		ID: f.Party, Name: f.Name, Mesh: f.Mesh,
		Sign: ed25519.NewKeyFromSeed(f.SignSeed), HPKE: h,
	}, nil
}

// Save writes the key file to path with mode 0600. It refuses to overwrite an
// existing file, so a key is never lost by mistake.
func (k *PartyKey) Save(path string) error {
	b, err := k.Marshal()
	if err != nil {
		return err
	}
	return WriteSecretFile(path, b)
}

// Load reads a key file written by Save. On Unix it refuses a file that
// others than its owner may read or write.
func Load(path string) (*PartyKey, error) {
	b, err := ReadSecretFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// WriteSecretFile creates path with mode 0600 and writes data, failing if the
// file exists. It syncs the file before returning.
func WriteSecretFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("keys: %w", err)
	}
	return nil
}

// ReadSecretFile reads a private file. Outside Windows, WebAssembly and Plan 9
// it fails if the file's mode lets group or others access it.
func ReadSecretFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	switch runtime.GOOS {
	case "windows", "js", "wasip1", "plan9":
	default:
		if st.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("keys: %s has mode %v: private key files must not be accessible to others (chmod 600)", path, st.Mode().Perm())
		}
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	if len(b) > maxKeyFile {
		return nil, errors.New("keys: " + path + ": too large for a key file")
	}
	return b, nil
}

package authority

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"

	"github.com/safetrace/safetrace/deploy/keys"
	"github.com/safetrace/safetrace/deploy/manifest"
)

const keyFileType = "safetrace authority key v1"

// Key is a health authority's signing key and name.
type Key struct {
	Name    string
	Private ed25519.PrivateKey
}

// GenerateKey makes a fresh authority key from crypto/rand.
func GenerateKey(name string) (*Key, error) {
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, fmt.Errorf("authority: %w", err)
	}
	return &Key{Name: name, Private: priv}, nil
}

// Public returns the authority's entry for the manifest.
func (k *Key) Public() manifest.Authority {
	return manifest.Authority{Name: k.Name, Key: k.Private.Public().(ed25519.PublicKey)}
}

type keyFile struct {
	Type string `json:"type"`
	Name string `json:"name"`
	Seed []byte `json:"seed"` // ed25519 seed, 32 bytes
}

// Marshal returns the key file contents (JSON with the seed in base64).
func (k *Key) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(keyFile{Type: keyFileType, Name: k.Name, Seed: k.Private.Seed()}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("authority: %w", err)
	}
	return append(b, '\n'), nil
}

// ParseKey decodes a key file made by Marshal.
func ParseKey(data []byte) (*Key, error) {
	var f keyFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("authority: key file: %w", err)
	}
	if f.Type != keyFileType {
		return nil, fmt.Errorf("authority: key file type %q, want %q", f.Type, keyFileType)
	}
	if len(f.Seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("authority: key file: seed is %d bytes, want %d", len(f.Seed), ed25519.SeedSize)
	}
	return &Key{Name: f.Name, Private: ed25519.NewKeyFromSeed(f.Seed)}, nil
}

// Save writes the key file with mode 0600, refusing to overwrite a file.
func (k *Key) Save(path string) error {
	b, err := k.Marshal()
	if err != nil {
		return err
	}
	return keys.WriteSecretFile(path, b)
}

// LoadKey reads a key file written by Save (see keys.ReadSecretFile for the
// permission check).
func LoadKey(path string) (*Key, error) {
	b, err := keys.ReadSecretFile(path)
	if err != nil {
		return nil, err
	}
	return ParseKey(b)
}

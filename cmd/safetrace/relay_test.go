package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/safetrace/safetrace/relay/relayclient"
)

func writeManifestFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "manifest.json")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadRelayManifest(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(nil)
	body := fmt.Sprintf(`{"version":1,"parties":[{"id":1,"name":"a","sign_key":%q}]}`, base64.StdEncoding.EncodeToString(pub))
	keys, hash, err := loadRelayManifest(writeManifestFile(t, body))
	if err != nil {
		t.Fatal(err)
	}
	if want := sha256.Sum256([]byte(body)); string(hash) != string(want[:]) {
		t.Error("hash is not SHA-256 of the file")
	}
	if !keys[1].Equal(pub) || len(keys) != 1 {
		t.Errorf("keys %v", keys)
	}
	for _, bad := range []string{
		`{}`,
		`{"parties":[{"id":1,"sign_key":"not base64"}]}`,
		`{"parties":[{"id":1,"sign_key":"AAAA"}]}`,
		fmt.Sprintf(`{"parties":[{"id":0,"sign_key":%q}]}`, base64.StdEncoding.EncodeToString(pub)),
		fmt.Sprintf(`{"parties":[{"id":1,"sign_key":%[1]q},{"id":1,"sign_key":%[1]q}]}`, base64.StdEncoding.EncodeToString(pub)),
		`not json`,
	} {
		if _, _, err := loadRelayManifest(writeManifestFile(t, bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestRelayCommand(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	body := fmt.Sprintf(`{"parties":[{"id":1,"sign_key":%q}]}`, base64.StdEncoding.EncodeToString(pub))
	manifest := writeManifestFile(t, body)
	hash := sha256.Sum256([]byte(body))
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"relay", "--listen", addr, "--manifest", manifest}) }()

	url := "ws://" + addr
	p, err := relayclient.NewParty(relayclient.PartyConfig{ID: 1, Key: priv, ManifestHash: hash[:], Relays: []string{url},
		Handler:    func(_ context.Context, b []byte) []byte { return append([]byte("ok:"), b...) },
		MinBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	pctx, pcancel := context.WithCancel(context.Background())
	pdone := make(chan error, 1)
	go func() { pdone <- p.Run(pctx) }()
	defer func() { pcancel(); <-pdone }()
	c, _ := relayclient.NewClient(relayclient.ClientConfig{Relays: []string{url}, MinBackoff: 10 * time.Millisecond})
	defer c.Close()

	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := c.Do(context.Background(), 1, []byte("x"))
		if err == nil {
			if string(got) != "ok:x" {
				t.Fatalf("got %q", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("relay command: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("relay command did not stop on cancel")
	}
}

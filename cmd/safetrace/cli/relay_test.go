package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safetrace/safetrace/internal/testenv/localdeploy"
	"github.com/safetrace/safetrace/relay/relayclient"
	"github.com/safetrace/safetrace/wire"
)

func writeManifestFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "manifest.json")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRelayCommand(t *testing.T) {
	addr := freeAddr(t)
	url := "ws://" + addr + "/ws"
	d, err := localdeploy.New(3, 1, localdeploy.Options{Relay: url})
	if err != nil {
		t.Fatal(err)
	}
	mb, err := d.Manifest.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	manifest := writeManifestFile(t, string(mb))
	hash := d.Manifest.Hash()
	priv := d.Parties[0].Sign

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, []string{"relay", "--listen", addr, "--manifest", manifest}) }()

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

	// An envelope's header with the deployment's proof of work: the relay
	// forwards nothing else.
	env := make([]byte, wire.EnvelopeHeaderSize+1)
	env[0] = wire.EnvelopeVersion
	wire.SetWork(env, d.Manifest.Params.Budget.WorkBits)
	if _, err := c.Do(context.Background(), 1, []byte("x")); err == nil || !strings.Contains(err.Error(), "proof of work") {
		t.Fatalf("a payload without work: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := c.Do(context.Background(), 1, env)
		if err == nil {
			if string(got) != "ok:"+string(env) {
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

func TestRelayCommandRefusesBadManifest(t *testing.T) {
	d, err := localdeploy.New(3, 1, localdeploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d.Manifest.Deployment = "changed after signing"
	mb, _ := d.Manifest.Marshal()
	err = Run(context.Background(), []string{"relay", "--listen", "127.0.0.1:0", "--manifest", writeManifestFile(t, string(mb))})
	if err == nil || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("got %v, want a signature error", err)
	}
}

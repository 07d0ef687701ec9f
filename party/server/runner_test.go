package server_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/safetrace/safetrace/internal/testenv/localdeploy"
	"github.com/safetrace/safetrace/party/server"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/wire"
)

// TestRunRefusesOtherVersion: a party runs a computation only when the
// manifest names the version of the protocol it implements.
func TestRunRefusesOtherVersion(t *testing.T) {
	d, err := localdeploy.New(3, 1, localdeploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := d.Manifest
	for i := range m.Computations {
		if m.Computations[i].Name == "exposure" {
			m.Computations[i].Hash = strings.Repeat("ab", 32)
		}
	}
	m.Signatures = nil
	for _, k := range d.Parties {
		if err := m.Sign(k.ID, k.Sign); err != nil {
			t.Fatal(err)
		}
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := server.New(server.Config{Manifest: m, Key: d.Parties[0], Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartRun("exposure", [wire.IDSize]byte{1}); err == nil || !strings.Contains(err.Error(), "version") {
		t.Fatalf("StartRun with another protocol version: %v", err)
	}
	if _, err := s.StartRun("region-map", [wire.IDSize]byte{2}); err != nil {
		t.Fatalf("StartRun of the implemented version: %v", err)
	}
}

package store_test

import (
	"path/filepath"
	"testing"

	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/party/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, o store.Options) store.Backend {
		s, err := store.Open(filepath.Join(t.TempDir(), "party.db"), o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

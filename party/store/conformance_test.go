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

// BenchmarkPutUploadParallel: uploads of 20 records from 16 goroutines per
// core; concurrent uploads share a commit (fsync), groupcommit.go.
func BenchmarkPutUploadParallel(b *testing.B) {
	s, err := store.Open(filepath.Join(b.TempDir(), "party.db"), store.Options{MaxRecords: -1, MaxRecordsPerUserDay: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchPutUpload(b, s, 20, 16)
}

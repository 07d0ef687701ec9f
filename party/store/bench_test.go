package store

import (
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
)

// BenchmarkPutUpload stores uploads of 100 records of 96-byte shares, each
// committed (and fsynced) on its own.
func BenchmarkPutUpload(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "party.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	day := record.DayOf(t0)
	for i := 0; b.Loop(); i++ {
		u := &Upload{ID: []byte(fmt.Sprint("b", i))}
		for j := range 100 {
			r := Record{ResultKey: []byte(fmt.Sprintf("user key %064d", i)), Kind: wire.KindOrdinary}
			r.Day, r.ID = day, recID(fmt.Sprintf("b%d/%d", i, j))
			u.Records = append(u.Records, r)
		}
		u.ContentHash = sha256.Sum256(u.ID)
		if _, err := s.PutUpload(u, t0); err != nil {
			b.Fatal(err)
		}
	}
}

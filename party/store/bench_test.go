package store

import (
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkPutUpload stores uploads of 100 records of 96-byte shares, each
// committed (and fsynced) on its own.
func BenchmarkPutUpload(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "party.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	day := DayOf(t0)
	share := make([]byte, 96)
	for i := 0; b.Loop(); i++ {
		u := &Upload{ID: []byte(fmt.Sprint("b", i))}
		for j := range 100 {
			u.Records = append(u.Records, Record{Day: day, ID: []byte(fmt.Sprintf("b%d/%d", i, j)),
				ResultKey: []byte(fmt.Sprintf("user key %064d", i)), Kind: KindOrdinary, Share: share})
		}
		u.ContentHash = sha256.Sum256(u.ID)
		if _, err := s.PutUpload(u, t0); err != nil {
			b.Fatal(err)
		}
	}
}

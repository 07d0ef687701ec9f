package store

import (
	"crypto/sha256"
	"crypto/sha512"
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

// BenchmarkForEachRecord reads 20,000 stored records (random points): with
// the shares decoded, as a day of an epoch is read, and left encoded, as the
// epoch's first pass over the window's upload ids reads them. The time is
// per pass over all records.
func BenchmarkForEachRecord(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "party.db"), Options{MaxRecords: -1, MaxRecordsPerUserDay: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	day := record.DayOf(t0)
	const uploads, per = 200, 100
	for i := range uploads {
		u := &Upload{ID: []byte(fmt.Sprint("b", i))}
		for j := range per {
			r := Record{ResultKey: []byte(fmt.Sprintf("user key %064d", i)), Kind: wire.KindOrdinary}
			r.Day, r.ID = day, recID(fmt.Sprintf("b%d/%d", i, j))
			h := sha512.Sum512(r.ID[:])
			r.Point.SetUniformBytes(h[:])
			u.Records = append(u.Records, r)
		}
		u.ContentHash = sha256.Sum256(u.ID)
		if _, err := s.PutUpload(u, t0); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct {
		name string
		each func(from, to record.Day, fn func(*Record) error) error
	}{{"decoded", s.ForEachRecord}, {"encoded", s.ForEachRecordEncoded}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				n := 0
				if err := bc.each(day, day, func(*Record) error { n++; return nil }); err != nil || n != uploads*per {
					b.Fatal(n, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*uploads*per), "ns/record")
		})
	}
}

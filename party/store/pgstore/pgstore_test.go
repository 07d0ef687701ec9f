package pgstore_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safetrace/safetrace/internal/testenv/pgtest"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/party/store/pgstore"
	"github.com/safetrace/safetrace/party/store/storetest"
	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
)

func open(t *testing.T, o store.Options) store.Backend {
	s, err := pgstore.Open(t.Context(), pgtest.DSN(t), filepath.Join(t.TempDir(), "pg.keys"), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) { storetest.Run(t, open) }

// TestSchema: a reopened database keeps its schema and key file; a newer
// schema, a missing key file and another database's key file are refused.
func TestSchema(t *testing.T) {
	dsn := pgtest.DSN(t)
	dir := t.TempDir()
	keys := filepath.Join(dir, "pg.keys")
	s, err := pgstore.Open(t.Context(), dsn, keys)
	if err != nil {
		t.Fatal(err)
	}
	if s.Schema() != pgstore.SchemaVersion() {
		t.Fatalf("schema %d, want %d", s.Schema(), pgstore.SchemaVersion())
	}
	d := record.DayOf(t0)
	if _, err := s.PutUpload(storetest.Upload("u", d, 2, wire.KindOrdinary), t0); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = pgstore.Open(t.Context(), dsn, keys)
	if err != nil {
		t.Fatal(err)
	}
	if n := storetest.Count(t, s, d, d); n != 2 {
		t.Fatalf("%d records after reopening, want 2", n)
	}
	s.Close()
	if _, err := pgstore.Open(t.Context(), dsn, filepath.Join(dir, "missing.keys")); err == nil {
		t.Fatal("opened without its key file")
	}
	other := filepath.Join(dir, "other.keys")
	o, err := pgstore.Open(t.Context(), pgtest.DSN(t), other)
	if err != nil {
		t.Fatal(err)
	}
	o.Close()
	if _, err := pgstore.Open(t.Context(), dsn, other); err == nil {
		t.Fatal("opened with another database's key file")
	}
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	if _, err := conn.Exec(t.Context(), `INSERT INTO safetrace_schema (version, name) VALUES ($1, 'from the future')`, pgstore.SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	if _, err := pgstore.Open(t.Context(), dsn, keys); !errors.Is(err, pgstore.ErrSchemaNewer) {
		t.Fatalf("newer schema: %v", err)
	}
}

// TestSharedKeyFile: two stores on one database and key file (two front
// ends) read each other's records, and an expiry at one destroys the keys
// for both.
func TestSharedKeyFile(t *testing.T) {
	dsn := pgtest.DSN(t)
	keys := filepath.Join(t.TempDir(), "pg.keys")
	a, err := pgstore.Open(t.Context(), dsn, keys)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := pgstore.Open(t.Context(), dsn, keys)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	old := t0.Add(-20 * 24 * time.Hour)
	d := record.DayOf(t0)
	if _, err := a.PutUpload(storetest.Upload("a", d, 2, wire.KindOrdinary), t0); err != nil {
		t.Fatal(err)
	}
	if _, err := b.PutUpload(storetest.Upload("b", record.DayOf(old), 2, wire.KindOrdinary), old); err != nil {
		t.Fatal(err)
	}
	if n := storetest.Count(t, a, 0, d); n != 4 {
		t.Fatalf("front end a reads %d records, want 4", n)
	}
	if _, err := a.Expire(t0, 14); err != nil {
		t.Fatal(err)
	}
	// b still holds the old day's key in memory; the floor refuses it.
	if _, err := b.PutUpload(storetest.Upload("late", record.DayOf(old), 1, wire.KindOrdinary), t0); err == nil {
		t.Fatal("a value stored under a destroyed day key")
	}
	if n := storetest.Count(t, b, 0, d); n != 2 {
		t.Fatalf("front end b reads %d records after expiry, want 2", n)
	}
}

// TestLease: one holder at a time; the lease passes on once it expired or
// was released.
func TestLease(t *testing.T) {
	s := open(t, store.Options{}).(*pgstore.Store)
	ctx := t.Context()
	ok, err := s.Lease(ctx, "compute", "a", time.Second)
	if err != nil || !ok {
		t.Fatalf("a: %v %v", ok, err)
	}
	if ok, _ := s.Lease(ctx, "compute", "b", time.Second); ok {
		t.Fatal("b took a live lease")
	}
	if ok, _ := s.Lease(ctx, "compute", "a", 300*time.Millisecond); !ok {
		t.Fatal("a could not renew")
	}
	time.Sleep(400 * time.Millisecond)
	if ok, _ := s.Lease(ctx, "compute", "b", time.Second); !ok {
		t.Fatal("b did not take an expired lease")
	}
	if h, live, _ := s.LeaseHolder(ctx, "compute"); h != "b" || !live {
		t.Fatalf("holder %q live %v", h, live)
	}
	if ok, _ := s.Lease(ctx, "compute", "a", time.Second); ok {
		t.Fatal("a took b's lease")
	}
	if err := s.ReleaseLease(ctx, "compute", "b"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Lease(ctx, "compute", "a", time.Second); !ok {
		t.Fatal("a did not take a released lease")
	}
}

var t0 = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

// BenchmarkPutUploadParallel: uploads of 20 records from 16 goroutines per
// core, each its own transaction (one pipelined round trip).
func BenchmarkPutUploadParallel(b *testing.B) {
	s, err := pgstore.Open(b.Context(), pgtest.DSN(b)+"&pool_max_conns=32", filepath.Join(b.TempDir(), "pg.keys"), store.Options{MaxRecords: -1, MaxRecordsPerUserDay: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchPutUpload(b, s, 20, 16)
}

// TestFrontEndsRace: two stores on one database (two front ends) race
// positive reports with one code and retries of one upload: one report is
// stored, and every retry gets the first receipt.
func TestFrontEndsRace(t *testing.T) {
	dsn := pgtest.DSN(t)
	keys := filepath.Join(t.TempDir(), "pg.keys")
	var fe [2]*pgstore.Store
	for i := range fe {
		s, err := pgstore.Open(t.Context(), dsn, keys)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		fe[i] = s
	}
	d := record.DayOf(t0)
	code := &store.CodeUse{ID: [16]byte{4, 2}, Expires: t0.Add(time.Hour)}
	const racers = 20
	var wg sync.WaitGroup
	var stored, used atomic.Int32
	rcs := make([]store.Receipt, racers)
	for i := range racers {
		wg.Go(func() {
			u := storetest.Upload(fmt.Sprint("pos", i), d, 2, wire.KindPositive)
			u.Code = code
			switch _, err := fe[i%2].PutUpload(u, t0); {
			case err == nil:
				stored.Add(1)
			case errors.Is(err, store.ErrCodeUsed):
				used.Add(1)
			default:
				t.Error(err)
			}
		})
		wg.Go(func() {
			rc, err := fe[i%2].PutUpload(storetest.Upload("same", d, 3, wire.KindOrdinary), t0.Add(time.Duration(i)))
			if err != nil {
				t.Error(err)
			}
			rcs[i] = rc
		})
	}
	wg.Wait()
	if stored.Load() != 1 || used.Load() != racers-1 {
		t.Fatalf("%d reports stored, %d refused; want 1 and %d", stored.Load(), used.Load(), racers-1)
	}
	for i, rc := range rcs {
		if !rc.Stored.Equal(rcs[0].Stored) {
			t.Fatalf("retry %d got a receipt of %v, the first %v", i, rc.Stored, rcs[0].Stored)
		}
	}
	if n := storetest.Count(t, fe[1], d, d); n != 2+3 {
		t.Fatalf("%d records, want 5", n)
	}
}

// TestRunForwarding: requests queued once, read as often as asked, gone
// once done; states recorded and replaced.
func TestRunForwarding(t *testing.T) {
	s := open(t, store.Options{}).(*pgstore.Store)
	ctx := t.Context()
	for range 2 {
		if err := s.ForwardRun(ctx, "exposure", []byte("run-1")); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ForwardRun(ctx, "region-map", []byte("run-2")); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		// Reading leaves them queued.
		got, err := s.RunRequests(ctx)
		if err != nil || len(got) != 2 || got[0].Name != "exposure" || string(got[1].ID) != "run-2" {
			t.Fatalf("queued %+v %v", got, err)
		}
	}
	if err := s.DoneRunRequest(ctx, []byte("run-1")); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.RunRequests(ctx); len(got) != 1 || string(got[0].ID) != "run-2" {
		t.Fatalf("after run-1 is done: %+v", got)
	}
	if _, _, _, ok, err := s.RunState(ctx, []byte("run-1")); ok || err != nil {
		t.Fatalf("state of an unknown run: %v %v", ok, err)
	}
	s.SetRunState(ctx, []byte("run-1"), "exposure", 5, "")
	s.SetRunState(ctx, []byte("run-1"), "exposure", 3, `{"k":10}`)
	if name, st, text, ok, err := s.RunState(ctx, []byte("run-1")); !ok || err != nil || name != "exposure" || st != 3 || text != `{"k":10}` {
		t.Fatalf("state %q %d %q %v %v", name, st, text, ok, err)
	}
}

package pgstore

import (
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/safetrace/safetrace/internal/testenv/pgtest"
)

// TestMigrateFromVersion1: a database of schema version 1 with data is
// migrated to the newest version at Open, its rows kept.
func TestMigrateFromVersion1(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if v, err := migrateTo(ctx, conn, 1); err != nil || v != 1 {
		t.Fatalf("version %d: %v", v, err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO uploads (id, hash, stored, records) VALUES ('u', 'h', 1, 0)`); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, dsn, filepath.Join(t.TempDir(), "pg.keys"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Schema() != SchemaVersion() || SchemaVersion() < 2 {
		t.Fatalf("schema %d after migration, want %d", s.Schema(), SchemaVersion())
	}
	if _, ok, err := s.Upload([]byte("u")); err != nil || !ok {
		t.Fatalf("row of version 1 lost: %v %v", ok, err)
	}
	if err := s.ForwardRun(ctx, "exposure", []byte("r")); err != nil {
		t.Fatalf("version 2 table missing: %v", err)
	}
}

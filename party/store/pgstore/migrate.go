package pgstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Schema migrations are the files migrations/NNNN_name.sql, applied in
// order at Open, each in its own transaction together with its row in
// safetrace_schema, under an advisory lock so that front ends starting at
// once apply each migration once. A database whose schema is newer than
// the newest file of this build is refused: an older binary does not write
// to a schema it does not know.

//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	ents, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range ents {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("pgstore: migration file %s: no version number", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("pgstore: migrations are not numbered 1, 2, ...: %s", m.name)
		}
	}
	return ms, nil
}

// SchemaVersion is the newest schema this build knows.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrate applies the missing migrations on conn, which holds the
// store's advisory lock, and returns the schema version.
func migrate(ctx context.Context, conn *pgx.Conn) (int, error) { return migrateTo(ctx, conn, -1) }

// migrateTo applies the migrations up to version upto (all if negative).
func migrateTo(ctx context.Context, conn *pgx.Conn, upto int) (int, error) {
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	known := len(ms)
	if upto >= 0 && upto < len(ms) {
		ms = ms[:upto]
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS safetrace_schema (
		version integer PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
		return 0, fmt.Errorf("pgstore: create safetrace_schema: %w", err)
	}
	var cur int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM safetrace_schema`).Scan(&cur); err != nil {
		return 0, fmt.Errorf("pgstore: read schema version: %w", err)
	}
	if cur > known {
		return cur, fmt.Errorf("%w: the database has schema version %d, this build knows up to %d; run a newer safetrace", ErrSchemaNewer, cur, known)
	}
	if cur > len(ms) {
		return cur, nil
	}
	for _, m := range ms[cur:] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO safetrace_schema (version, name) VALUES ($1, $2)`, m.version, m.name)
			return err
		})
		if err != nil {
			return cur, fmt.Errorf("pgstore: migration %s: %w", m.name, err)
		}
		cur = m.version
	}
	return cur, nil
}

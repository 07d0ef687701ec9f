// Package pgtest gives tests a PostgreSQL database: the cluster named by
// SAFETRACE_TEST_POSTGRES (scripts/pg-test-env.sh starts a throwaway one;
// .ci/run always does), with a fresh schema per call.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the cluster's DSN.
const EnvVar = "SAFETRACE_TEST_POSTGRES"

// Base returns the cluster's DSN. Without one the test is skipped, or, when
// CI is set (.ci/run sets CI=true), fails: CI must not pass by skipping the
// PostgreSQL store.
func Base(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(EnvVar)
	if dsn == "" {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s is not set under CI; .ci/run starts a cluster (scripts/pg-test-env.sh)", EnvVar)
		}
		tb.Skipf("%s not set; eval \"$(scripts/pg-test-env.sh start)\" starts a throwaway PostgreSQL", EnvVar)
	}
	return dsn
}

// DSN creates a schema of its own for the test, dropped at its end, and
// returns a DSN whose search_path is that schema.
func DSN(tb testing.TB) string {
	tb.Helper()
	base := Base(tb)
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, base); err == nil {
			c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			c.Close(ctx)
		}
	})
	return WithSchema(base, schema)
}

// WithSchema returns dsn with its search_path set to schema.
func WithSchema(dsn, schema string) string {
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}

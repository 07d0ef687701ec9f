package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/party/server"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/party/store/pgstore"
)

// openPartyStore opens the party's store: the bbolt file party.db in the
// data directory, or the PostgreSQL database named by spec (a postgres://
// URL) with its day-key file at keys (default pg.keys in the data
// directory). Every front end of a party on PostgreSQL must open the same
// key file.
func openPartyStore(ctx context.Context, spec, data, keys string, m *manifest.Manifest) (store.Backend, string, error) {
	switch {
	case spec == "" || spec == "bbolt":
		st, err := store.Open(filepath.Join(data, "party.db"), server.StoreOptions(m))
		return st, "bbolt " + filepath.Join(data, "party.db"), err
	case pgstore.IsDSN(spec):
		if keys == "" {
			keys = pgstore.DefaultKeyPath(data)
		}
		octx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		st, err := pgstore.Open(octx, spec, keys, server.StoreOptions(m))
		if err != nil {
			return nil, "", err
		}
		return st, fmt.Sprintf("postgres schema v%d, keys %s", st.Schema(), keys), nil
	}
	return nil, "", fmt.Errorf("party: --store %q: want a postgres:// URL or bbolt", spec)
}

// partyLogger logs text on a terminal and JSON otherwise (to a file, a
// pipe or a log collector).
func partyLogger(level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("party: --log-level: %w", err)
	}
	o := &slog.HandlerOptions{Level: lv}
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return slog.New(slog.NewTextHandler(os.Stderr, o)), nil
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, o)), nil
}

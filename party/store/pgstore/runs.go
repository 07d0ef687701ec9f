package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safetrace/safetrace/party/store"
)

// Runs across front ends: every operator's run request is queued in the
// database (by a front end without the computation lease, which forwards
// it, and by the holder, which runs it) until its run finished; the holder
// starts the queued ones and publishes their states there, and any front
// end answers status requests from it. A holder that dies or loses the
// lease leaves its unfinished runs queued for the next holder.

// ForwardedRun is a run request waiting for the lease holder.
type ForwardedRun = store.ForwardedRun

// ForwardRun queues run id of computation name for the lease holder; a
// repeated request is one.
func (s *Store) ForwardRun(ctx context.Context, name string, id []byte) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO run_requests (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, id, name)
	if err != nil {
		return fmt.Errorf("pgstore: forward run: %w", err)
	}
	return nil
}

// RunRequests returns the queued run requests, oldest first. They stay
// queued until DoneRunRequest: a lease holder that dies before it ran them
// leaves them to the next.
func (s *Store) RunRequests(ctx context.Context) ([]ForwardedRun, error) {
	rows, _ := s.pool.Query(ctx, `SELECT id, name FROM run_requests ORDER BY queued, id`)
	var out []ForwardedRun
	var r ForwardedRun
	_, err := pgx.ForEachRow(rows, []any{&r.ID, &r.Name}, func() error {
		out = append(out, ForwardedRun{Name: r.Name, ID: append([]byte(nil), r.ID...)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: run requests: %w", err)
	}
	return out, nil
}

// DoneRunRequest removes run id from the queue: it finished, or cannot run.
func (s *Store) DoneRunRequest(ctx context.Context, id []byte) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM run_requests WHERE id = $1`, id); err != nil {
		return fmt.Errorf("pgstore: done run request: %w", err)
	}
	return nil
}

// SetRunState records the state of run id of computation name.
func (s *Store) SetRunState(ctx context.Context, id []byte, name string, state int, text string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO run_states (id, name, state, text) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, state = excluded.state, text = excluded.text, updated = clock_timestamp()`,
		id, name, int16(state), text)
	if err != nil {
		return fmt.Errorf("pgstore: set run state: %w", err)
	}
	return nil
}

// RunState returns the recorded state of run id, if any.
func (s *Store) RunState(ctx context.Context, id []byte) (name string, state int, text string, ok bool, err error) {
	var st int16
	err = s.pool.QueryRow(ctx, `SELECT name, state, text FROM run_states WHERE id = $1`, id).Scan(&name, &st, &text)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", 0, "", false, nil
	}
	if err != nil {
		return "", 0, "", false, fmt.Errorf("pgstore: run state: %w", err)
	}
	return name, int(st), text, true, nil
}

// expireRuns deletes run states and requests older than the window.
func expireRuns(ctx context.Context, tx pgx.Tx, cutoff time.Time) error {
	if _, err := tx.Exec(ctx, `DELETE FROM run_states WHERE updated < $1`, cutoff); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM run_requests WHERE queued < $1`, cutoff)
	return err
}

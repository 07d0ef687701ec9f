package store

import (
	"context"
	"time"

	"github.com/safetrace/safetrace/wire/record"
	bolt "go.etcd.io/bbolt"
)

// Backend is a party's store as the party server uses it. Two
// implementations: [Store], the embedded bbolt file (the default, one
// process), and package party/store/pgstore, PostgreSQL shared by several
// front ends of one party. Both pass the conformance suite in package
// party/store/storetest, and both keep the crypto-shredding guarantee of
// keys.go: values are sealed under day keys kept in a key file outside the
// database, destroyed at expiry.
//
// Every method may be called concurrently. Errors callers branch on are the
// package's Err values (ErrCodeUsed, ErrUploadReused, ErrRecordExists,
// ErrFull, ErrQuota), wrapped.
type Backend interface {
	// PutUpload stores an upload's records and, for a positive report, the
	// use of its authority code, in one transaction committed before it
	// returns; a retry (same id and content hash) returns the first receipt.
	PutUpload(u *Upload, now time.Time) (Receipt, error)
	// PutRunInput stores an upload that is the input of a run.
	PutRunInput(u *Upload, count int, runID string, input []byte, now time.Time) (Receipt, error)
	// Upload returns the receipt of a stored upload id.
	Upload(id []byte) (Receipt, bool, error)
	// UseCode records an authority code as used, or returns ErrCodeUsed.
	UseCode(id [16]byte, expires, now time.Time) error
	// CodeUsed reports whether a code is recorded as used.
	CodeUsed(id [16]byte) (bool, error)

	// PutResult stores one sealed result blob for a user key.
	PutResult(userKey, blob []byte, now time.Time) (uint64, error)
	// Results returns a user's stored result blobs, oldest first.
	Results(userKey []byte) ([]Result, error)
	// DeleteResults deletes a user's results through a sequence number.
	DeleteResults(userKey []byte, through uint64) (int, error)
	// PutResults stores results, each replacing its user's older ones.
	PutResults(rs []UserResult, now time.Time) error
	// Publish stores a computation's publication in one transaction.
	Publish(p *Publication, now time.Time) error

	// AddRunInput appends an input to a run, creating it.
	AddRunInput(runID string, data []byte, now time.Time) error
	// ForEachRecord streams the records of days from..to (inclusive) in
	// (day, id) order, in bounded memory.
	ForEachRecord(from, to record.Day, fn func(r *Record) error) error
	// ForEachRecordEncoded is ForEachRecord with each share left
	// undecoded: Share zero, Encoded its stored encoding.
	ForEachRecordEncoded(from, to record.Day, fn func(r *Record) error) error
	// ForEachRunInput streams a run's inputs in the order added.
	ForEachRunInput(runID string, fn func(data []byte) error) error
	// RunExists reports whether a run exists.
	RunExists(runID string) (bool, error)
	// DeleteRun deletes a run and its inputs.
	DeleteRun(runID string) error

	// Expire applies the retention window and destroys the day keys of
	// the days before it.
	Expire(now time.Time, retentionDays int) (Expired, error)
	// Stats returns the store's sizes.
	Stats() (Stats, error)
	// Ping checks that the store can serve requests (readiness).
	Ping(ctx context.Context) error
	// Close closes the store.
	Close() error
}

var _ Backend = (*Store)(nil)

// ForwardedRun is an operator's run request queued in a shared store for
// the holder of the computation lease, until its run finished.
type ForwardedRun struct {
	Name string
	ID   []byte
}

// Ping checks that the database is open.
func (s *Store) Ping(ctx context.Context) error {
	return s.db.View(func(tx *bolt.Tx) error { return nil })
}

package store

import (
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

// PutRunInput stores input as an input of run runID on behalf of upload
// u (which has no records), in one transaction with u's idempotency entry
// and, if u.Code is set, the code's use: a retry of u (same id and content
// hash) returns the first receipt and stores nothing; errors are those of
// PutUpload, and on any error nothing is stored. The receipt counts count
// items (e.g. the regions of a region-map upload); max(count, 1) items count
// against Options.MaxRecords, and ErrFull is returned when they do not fit.
func (s *Store) PutRunInput(u *Upload, count int, runID string, input []byte, now time.Time) (Receipt, error) {
	if err := checkID("upload id", u.ID); err != nil {
		return Receipt{}, err
	}
	if len(u.Records) != 0 {
		return Receipt{}, errors.New("store: a run input upload has no records")
	}
	if err := checkRunID(runID); err != nil {
		return Receipt{}, err
	}
	items := int64(max(count, 1))
	return s.putUpload(u, now, "put run input", count, items, func(tx *bolt.Tx) error {
		return s.addRunInput(tx, runID, input, items, now)
	})
}

// RunExists reports whether run runID has been created (by AddRunInput or
// PutRunInput) and not deleted.
func (s *Store) RunExists(runID string) (bool, error) {
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bucketRuns).Bucket([]byte(runID)) != nil
		return nil
	})
	return ok, err
}

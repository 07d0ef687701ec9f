package store

import (
	"errors"
	"fmt"
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
	var rc Receipt
	s.shred.RLock()
	defer s.shred.RUnlock()
	err := s.db.Update(func(tx *bolt.Tx) error {
		ub := tx.Bucket(bucketUploads)
		old, done, err := beginUpload(tx, u, now)
		if err != nil || done {
			rc = old
			return err
		}
		items := int64(max(count, 1))
		if err := s.checkRoom(tx, items); err != nil {
			return err
		}
		if err := s.addRunInput(tx, runID, input, items, now); err != nil {
			return err
		}
		rc = Receipt{UploadID: append([]byte(nil), u.ID...), ContentHash: u.ContentHash, Records: count, Stored: time.Unix(0, now.UnixNano()).UTC()}
		return ub.Put(u.ID, encodeReceipt(rc))
	})
	if err != nil {
		if isClientError(err) {
			return Receipt{}, err
		}
		return Receipt{}, fmt.Errorf("store: put run input: %w", err)
	}
	return rc, nil
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

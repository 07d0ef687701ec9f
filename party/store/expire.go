package store

import (
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// AddRunInput appends an input of computation run runID (e.g. a region-map
// contribution), creating the run at now if needed.
func (s *Store) AddRunInput(runID string, data []byte, now time.Time) error {
	if err := checkRunID(runID); err != nil {
		return err
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return addRunInput(tx, runID, data, now) }); err != nil {
		return fmt.Errorf("store: add run input: %w", err)
	}
	return nil
}

func checkRunID(runID string) error {
	if runID == "" || len(runID) > MaxIDLen {
		return fmt.Errorf("store: run id %q: need 1..%d bytes", runID, MaxIDLen)
	}
	return nil
}

// addRunInput appends data to run runID in tx, creating the run at now.
func addRunInput(tx *bolt.Tx, runID string, data []byte, now time.Time) error {
	rb := tx.Bucket(bucketRuns)
	b := rb.Bucket([]byte(runID))
	if b == nil {
		var err error
		if b, err = rb.CreateBucket([]byte(runID)); err != nil {
			return err
		}
		if err := b.Put([]byte{0}, binary.BigEndian.AppendUint64(nil, uint64(now.UnixNano()))); err != nil {
			return err
		}
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	return b.Put(binary.BigEndian.AppendUint64([]byte{1}, seq), data)
}

// ForEachRunInput calls fn with each input of run runID in the order added.
// data is valid only during the call. A run that does not exist has no inputs.
func (s *Store) ForEachRunInput(runID string, fn func(data []byte) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRuns).Bucket([]byte(runID))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek([]byte{1}); k != nil; k, v = c.Next() {
			if err := fn(v); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteRun deletes run runID and its inputs, after the run.
func (s *Store) DeleteRun(runID string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return deleteRun(tx, runID) })
}

func deleteRun(tx *bolt.Tx, runID string) error {
	err := tx.Bucket(bucketRuns).DeleteBucket([]byte(runID))
	if err == bolt.ErrBucketNotFound {
		return nil
	}
	return err
}

// Expired counts what Expire deleted.
type Expired struct {
	Records, Uploads, Codes, Results, Runs int
}

// codeGrace keeps a used code's entry a day past its expiry, so that a party
// whose clock runs late still refuses it.
const codeGrace = 24 * time.Hour

// Expire deletes, in one transaction, everything outside the retention window
// of retentionDays days before now: records of days before DayOf(now) minus
// retentionDays (so no record entirely older than the window remains),
// uploads, results and runs created before now minus the window, and used
// codes a day past their expiry.
func (s *Store) Expire(now time.Time, retentionDays int) (Expired, error) {
	var e Expired
	if retentionDays < 1 {
		return e, fmt.Errorf("store: retention of %d days", retentionDays)
	}
	window := time.Duration(retentionDays) * 24 * time.Hour
	cutoff := now.Add(-window).UnixNano()
	cutoffDay := int64(DayOf(now)) - int64(retentionDays)
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		// Records are keyed by day first, so the old ones are a prefix.
		if cutoffDay > 0 {
			e.Records, err = deleteWhile(tx.Bucket(bucketRecords), func(k, v []byte) (bool, bool) {
				return int64(binary.BigEndian.Uint32(k)) < cutoffDay, false
			})
			if err != nil {
				return err
			}
		}
		e.Uploads, err = deleteWhile(tx.Bucket(bucketUploads), func(k, v []byte) (bool, bool) {
			return len(v) == 44 && int64(binary.BigEndian.Uint64(v[32:])) < cutoff, true
		})
		if err != nil {
			return err
		}
		e.Codes, err = deleteWhile(tx.Bucket(bucketCodes), func(k, v []byte) (bool, bool) {
			return len(v) == 16 && int64(binary.BigEndian.Uint64(v[8:])) < now.Add(-codeGrace).UnixNano(), true
		})
		if err != nil {
			return err
		}
		e.Results, err = deleteWhile(tx.Bucket(bucketResults), func(k, v []byte) (bool, bool) {
			return len(v) >= 8 && int64(binary.BigEndian.Uint64(v)) < cutoff, true
		})
		if err != nil {
			return err
		}
		runs := tx.Bucket(bucketRuns)
		var old [][]byte
		err = runs.ForEachBucket(func(k []byte) error {
			v := runs.Bucket(k).Get([]byte{0})
			if len(v) == 8 && int64(binary.BigEndian.Uint64(v)) < cutoff {
				old = append(old, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := runs.DeleteBucket(k); err != nil {
				return err
			}
		}
		e.Runs = len(old)
		return nil
	})
	if err != nil {
		return Expired{}, fmt.Errorf("store: expire: %w", err)
	}
	return e, nil
}

// deleteWhile deletes the entries of b for which pred says del. If all is
// false the scan stops at the first entry not deleted (b is sorted so that
// deletable entries come first). Keys are collected before deleting because a
// bbolt cursor skips entries after a Delete.
func deleteWhile(b *bolt.Bucket, pred func(k, v []byte) (del, all bool)) (int, error) {
	var keys [][]byte
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			continue // nested bucket
		}
		del, all := pred(k, v)
		if del {
			keys = append(keys, append([]byte(nil), k...))
		} else if !all {
			break
		}
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

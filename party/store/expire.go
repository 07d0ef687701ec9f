package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/safetrace/safetrace/wire/record"
	bolt "go.etcd.io/bbolt"
)

// AddRunInput appends an input of computation run runID (e.g. a region-map
// contribution), creating the run at now if needed. It does not count against
// Options.MaxRecords: it is the party's own output, not a client's.
func (s *Store) AddRunInput(runID string, data []byte, now time.Time) error {
	if err := checkRunID(runID); err != nil {
		return err
	}
	s.shred.RLock()
	defer s.shred.RUnlock()
	if err := s.db.Update(func(tx *bolt.Tx) error { return s.addRunInput(tx, runID, data, 0, now) }); err != nil {
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

var (
	runCreated = []byte{0}
	runItems   = []byte{2}
)

// runDay is the day whose key seals the inputs of run bucket b: the day the
// run was created, so that the key lives as long as the run.
func runDay(b *bolt.Bucket) (record.Day, error) {
	v := b.Get(runCreated)
	if len(v) != 8 {
		return 0, errors.New("store: corrupt run entry")
	}
	return record.DayOf(time.Unix(0, int64(binary.BigEndian.Uint64(v)))), nil
}

// addRunInput appends data to run runID in tx, creating the run at now, and
// counts items against Options.MaxRecords.
func (s *Store) addRunInput(tx *bolt.Tx, runID string, data []byte, items int64, now time.Time) error {
	rb := tx.Bucket(bucketRuns)
	b := rb.Bucket([]byte(runID))
	if b == nil {
		var err error
		if b, err = rb.CreateBucket([]byte(runID)); err != nil {
			return err
		}
		if err := b.Put(runCreated, binary.BigEndian.AppendUint64(nil, uint64(now.UnixNano()))); err != nil {
			return err
		}
	}
	d, err := runDay(b)
	if err != nil {
		return err
	}
	dk, err := s.keys.ensure(d)
	if err != nil {
		return err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	k := binary.BigEndian.AppendUint64([]byte{1}, seq)
	if err := b.Put(k, dk.seal(adRun(runID, k), data)); err != nil {
		return err
	}
	if items > 0 {
		n := int64(0)
		if v := b.Get(runItems); len(v) == 8 {
			n = int64(binary.BigEndian.Uint64(v))
		}
		if err := b.Put(runItems, binary.BigEndian.AppendUint64(nil, uint64(n+items))); err != nil {
			return err
		}
		return addCounter(tx, metaRunItems, items)
	}
	return nil
}

// ForEachRunInput calls fn with each input of run runID in the order added.
// data is valid only during the call. A run that does not exist has no inputs.
func (s *Store) ForEachRunInput(runID string, fn func(data []byte) error) error {
	keys := s.keys.snapshot()
	return s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRuns).Bucket([]byte(runID))
		if b == nil {
			return nil
		}
		d, err := runDay(b)
		if err != nil {
			return err
		}
		dk, err := s.keyFor(keys, d)
		if err != nil {
			return err
		}
		var buf []byte
		c := b.Cursor()
		for k, v := c.Seek([]byte{1}); k != nil && k[0] == 1; k, v = c.Next() {
			if buf, err = dk.open(buf, adRun(runID, k), v); err != nil {
				return err
			}
			if err := fn(buf); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteRun deletes run runID and its inputs, after the run.
func (s *Store) DeleteRun(runID string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return deleteRun(tx, []byte(runID)) })
}

// deleteRun deletes a run and takes its items off the counter.
func deleteRun(tx *bolt.Tx, runID []byte) error {
	rb := tx.Bucket(bucketRuns)
	b := rb.Bucket(runID)
	if b == nil {
		return nil
	}
	if v := b.Get(runItems); len(v) == 8 {
		if err := addCounter(tx, metaRunItems, -int64(binary.BigEndian.Uint64(v))); err != nil {
			return err
		}
	}
	return rb.DeleteBucket(runID)
}

// Expired counts what Expire deleted.
type Expired struct {
	Records, Uploads, Codes, Results, Runs int
	DayKeys                                int // day keys destroyed
}

// codeGrace keeps a used code's entry a day past its expiry, so that a party
// whose clock runs late still refuses it.
const codeGrace = 24 * time.Hour

// Expire deletes, in one transaction, everything outside the retention window
// of retentionDays days before now: records of days before DayOf(now) minus
// retentionDays (so no record entirely older than the window remains),
// uploads, results and runs created before now minus the window, and used
// codes a day past their expiry. After that transaction is committed it
// destroys the day keys of the days before the cutoff day (see keys.go), so
// what it deleted can no longer be decrypted from freed pages.
func (s *Store) Expire(now time.Time, retentionDays int) (Expired, error) {
	var e Expired
	if retentionDays < 1 {
		return e, fmt.Errorf("store: retention of %d days", retentionDays)
	}
	window := time.Duration(retentionDays) * 24 * time.Hour
	cutoff := now.Add(-window).UnixNano()
	cutoffDay := int64(record.DayOf(now)) - int64(retentionDays)
	s.shred.Lock()
	defer s.shred.Unlock()
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		// Records and user-day counters are keyed by day first, so the old
		// ones are a prefix.
		if cutoffDay > 0 {
			old := func(k, v []byte) (bool, bool) {
				return int64(binary.BigEndian.Uint32(k)) < cutoffDay, false
			}
			if e.Records, err = deleteWhile(tx.Bucket(bucketRecords), old); err != nil {
				return err
			}
			if err := addCounter(tx, metaRecords, -int64(e.Records)); err != nil {
				return err
			}
			if _, err = deleteWhile(tx.Bucket(bucketQuota), old); err != nil {
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
			v := runs.Bucket(k).Get(runCreated)
			if len(v) == 8 && int64(binary.BigEndian.Uint64(v)) < cutoff {
				old = append(old, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := deleteRun(tx, k); err != nil {
				return err
			}
		}
		e.Runs = len(old)
		return nil
	})
	if err != nil {
		return Expired{}, fmt.Errorf("store: expire: %w", err)
	}
	if cutoffDay > 0 {
		if e.DayKeys, err = s.keys.destroyBefore(record.Day(cutoffDay)); err != nil {
			return e, err
		}
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

package store

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
	bolt "go.etcd.io/bbolt"
)

// Group commit: PutUpload does not commit a transaction of its own. It
// prepares the upload (keys, sealed values) in the caller's goroutine and
// queues it; one writer goroutine takes everything queued, stores it in one
// bbolt transaction and commits it with one fsync, then answers every
// caller. Concurrent uploads so share their fsync, and none waits for a
// timer: an upload arriving while the writer is idle is committed at once,
// those arriving during a commit go together into the next.
//
// Every upload is checked before any of its writes (putPrepared), so one
// refused by the store (a reused upload id, a used code, a taken record id,
// the store or a user's day full) writes nothing to the shared transaction,
// gets its error, and the others are stored. Each upload sees the ones
// before it in the transaction, exactly as if they had been committed one
// after another: a retry of an upload in the same batch gets its receipt,
// a second report with the same code ErrCodeUsed, the budgets count every
// upload before it. An error of the database itself rolls the transaction
// back, and then every upload of the batch is stored again in a
// transaction of its own, so one upload cannot fail another. A caller gets
// its receipt only once the transaction holding its upload is committed
// (on disk).

// nonceSize is the AES-GCM nonce size of sealed values.
const nonceSize = 12

// maxGroup bounds the uploads of one transaction.
const maxGroup = 256

// putReq is one queued upload.
type putReq struct {
	u     *Upload
	now   time.Time
	keys  [][]byte // record keys, in record order
	vals  [][]byte // sealed record values
	quota []QuotaAdd
	dks   []usedKey // the day keys that sealed the values and made the quota keys
	stale error     // sealing again under the shred lock failed
	rc    Receipt
	err   error
	done  chan struct{}
}

// usedKey is a day key prepare used.
type usedKey struct {
	day record.Day
	dk  *dayKey
}

// QuotaAdd is an upload's records for one user key and day, counted
// against Options.MaxRecordsPerUserDay.
type QuotaAdd struct {
	Key []byte // the counter's key (DayKey.QuotaKey)
	Day record.Day
	N   int
}

// groupCommit is the queue of the writer goroutine.
type groupCommit struct {
	mu     sync.Mutex
	cond   sync.Cond
	queue  []*putReq
	closed bool
	done   chan struct{} // closed when the writer has ended
	// queued and commits count the uploads queued and the transactions
	// committed (tests).
	queued, commits atomic.Int64
}

func (s *Store) startWriter() {
	s.gc.cond.L = &s.gc.mu
	s.gc.done = make(chan struct{})
	go s.writer()
}

// stopWriter lets the writer store what is queued, then end.
func (s *Store) stopWriter() {
	s.gc.mu.Lock()
	s.gc.closed = true
	s.gc.cond.Broadcast()
	s.gc.mu.Unlock()
	<-s.gc.done
}

func (s *Store) writer() {
	defer close(s.gc.done)
	for {
		s.gc.mu.Lock()
		for len(s.gc.queue) == 0 && !s.gc.closed {
			s.gc.cond.Wait()
		}
		if len(s.gc.queue) == 0 {
			s.gc.mu.Unlock()
			return
		}
		n := min(len(s.gc.queue), maxGroup)
		batch := slices.Clone(s.gc.queue[:n])
		s.gc.queue = slices.Delete(s.gc.queue, 0, n)
		s.gc.mu.Unlock()
		s.commitGroup(batch)
		for _, r := range batch {
			close(r.done)
		}
	}
}

// enqueue hands r to the writer and waits for its commit.
func (s *Store) enqueue(r *putReq) {
	r.done = make(chan struct{})
	s.gc.mu.Lock()
	if s.gc.closed {
		s.gc.mu.Unlock()
		r.err = bolt.ErrDatabaseNotOpen
		return
	}
	s.gc.queue = append(s.gc.queue, r)
	s.gc.queued.Add(1)
	s.gc.cond.Signal()
	s.gc.mu.Unlock()
	<-r.done
}

// commitGroup stores batch in one transaction or, if the database fails
// it, each upload in a transaction of its own.
func (s *Store) commitGroup(batch []*putReq) {
	s.shred.RLock()
	defer s.shred.RUnlock()
	// Values were sealed before the shred lock was held: one whose day key
	// Expire destroyed (or a reload replaced) since is sealed again, under
	// the lock, as PutUpload did before group commit, so no value is
	// committed under a key that is gone.
	for _, r := range batch {
		if !s.keysLive(r.dks) {
			again, err := s.prepare(r.u, r.now)
			if err != nil {
				r.stale, r.err = err, err
				continue
			}
			r.keys, r.vals, r.quota, r.dks = again.keys, again.vals, again.quota, again.dks
		}
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, r := range batch {
			if r.stale != nil {
				continue // r.err says why
			}
			r.rc, r.err = s.putPrepared(tx, r)
			if r.err != nil && !isClientError(r.err) {
				return r.err
			}
		}
		return nil
	})
	if err == nil {
		s.gc.commits.Add(1)
		return
	}
	if len(batch) == 1 {
		batch[0].rc, batch[0].err = Receipt{}, err
		return
	}
	for _, r := range batch {
		if r.stale != nil {
			continue
		}
		err := s.db.Update(func(tx *bolt.Tx) error {
			r.rc, r.err = s.putPrepared(tx, r)
			return r.err
		})
		if err != nil {
			r.rc, r.err = Receipt{}, err
		} else {
			s.gc.commits.Add(1)
		}
	}
}

// keysLive reports whether the day keys of used are still the live ones.
func (s *Store) keysLive(used []usedKey) bool {
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	for _, u := range used {
		if s.keys.days[u.day] != u.dk {
			return false
		}
	}
	return true
}

// prepare seals u's records and derives its quota keys, outside any
// transaction, in the caller's goroutine.
func (s *Store) prepare(u *Upload, now time.Time) (*putReq, error) {
	r := &putReq{u: u, now: now}
	var err error
	if r.keys, r.vals, r.dks, err = sealRecords(s.keys, u, now); err != nil {
		return nil, err
	}
	var used []usedKey
	if r.quota, used, err = userDayQuota(s.keys, u); err != nil {
		return nil, err
	}
	r.dks = append(r.dks, used...)
	return r, nil
}

// userDayQuota returns what u's records add to the per-user-day counters:
// one QuotaAdd per result key and day, in the order of first appearance,
// with the day keys that made the counters' keys. Records without a result
// key (positive reports) count for nobody; the authority codes bound them.
func userDayQuota(k *keyring, u *Upload) ([]QuotaAdd, []usedKey, error) {
	type userDay struct {
		day record.Day
		key string
	}
	var order []userDay
	n := map[userDay]int{}
	for i := range u.Records {
		if len(u.Records[i].ResultKey) == 0 {
			continue
		}
		ud := userDay{u.Records[i].Day, string(u.Records[i].ResultKey)}
		if n[ud] == 0 {
			order = append(order, ud)
		}
		n[ud]++
	}
	var out []QuotaAdd
	var used []usedKey
	for _, ud := range order {
		dk, err := k.ensure(ud.day)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, QuotaAdd{Key: dk.quotaKey(ud.day, []byte(ud.key)), Day: ud.day, N: n[ud]})
		used = append(used, usedKey{ud.day, dk})
	}
	return out, used, nil
}

// sealRecords returns the keys (RecordKey) and sealed values of u's records
// as stored at now, with UploadID u.ID and Created now: one buffer for the
// keys and one for the values, one random read for all nonces.
func sealRecords(k *keyring, u *Upload, now time.Time) (keys, vals [][]byte, used []usedKey, err error) {
	keys = make([][]byte, len(u.Records))
	vals = make([][]byte, len(u.Records))
	// One buffer for every record's key, one for the sealed values, one
	// random read for all nonces.
	kb := make([]byte, 0, len(u.Records)*(4+MaxIDLen))
	size := 0
	for i := range u.Records {
		rec := &u.Records[i]
		size += 1 + nonceSize + 16 + 10 + 3*binary.MaxVarintLen16 + len(u.ID) + len(rec.ResultKey) + wire.ShareSize
	}
	vb := make([]byte, 0, size)
	nonces := make([]byte, nonceSize*len(u.Records))
	rand.Read(nonces)
	var dk *dayKey
	var kd record.Day
	var ad, plain []byte
	for i := range u.Records {
		rec := u.Records[i]
		rec.UploadID, rec.Created = u.ID, now
		if dk == nil || rec.Day != kd {
			var err error
			if dk, err = k.ensure(rec.Day); err != nil {
				return nil, nil, nil, err
			}
			kd = rec.Day
			used = append(used, usedKey{kd, dk})
		}
		start := len(kb)
		kb = binary.BigEndian.AppendUint32(kb, uint32(rec.Day))
		kb = append(kb, rec.ID[:]...)
		rk := kb[start:len(kb):len(kb)]
		ad = append(append(ad[:0], "record\x00"...), rk...)
		plain = appendRecord(plain[:0], &rec)
		start = len(vb)
		vb = dk.appendSeal(vb, nonces[nonceSize*i:nonceSize*(i+1)], ad, plain)
		keys[i] = rk
		vals[i] = vb[start:len(vb):len(vb)]
	}
	return keys, vals, used, nil
}

// putPrepared stores r inside tx: every check first, so a refused upload
// writes nothing; then the writes. A retry of a stored upload returns its
// first receipt and writes nothing.
func (s *Store) putPrepared(tx *bolt.Tx, r *putReq) (Receipt, error) {
	u := r.u
	if old, done, err := storedReceipt(tx, u); err != nil || done {
		return old, err
	}
	if u.Code != nil && tx.Bucket(bucketCodes).Get(u.Code.ID[:]) != nil {
		return Receipt{}, ErrCodeUsed
	}
	if err := s.checkRoom(tx, int64(len(u.Records))); err != nil {
		return Receipt{}, err
	}
	qb := tx.Bucket(bucketQuota)
	counts := make([]int, len(r.quota))
	for i, q := range r.quota {
		cur := 0
		if v := qb.Get(q.Key); len(v) == 4 {
			cur = int(binary.BigEndian.Uint32(v))
		}
		if s.opt.MaxRecordsPerUserDay >= 0 && cur+q.N > s.opt.MaxRecordsPerUserDay {
			return Receipt{}, fmt.Errorf("%w (day %s: %d stored, %d more, limit %d)", ErrQuota, q.Day, cur, q.N, s.opt.MaxRecordsPerUserDay)
		}
		counts[i] = cur + q.N
	}
	rb := tx.Bucket(bucketRecords)
	for i, k := range r.keys {
		if rb.Get(k) != nil {
			return Receipt{}, fmt.Errorf("%w (day %s, record %d of the upload)", ErrRecordExists, u.Records[i].Day, i)
		}
	}
	// A record id twice in the upload (on one day) is taken by itself.
	if len(r.keys) > 1 {
		sorted := slices.Clone(r.keys)
		slices.SortFunc(sorted, bytes.Compare)
		for i := 1; i < len(sorted); i++ {
			if bytes.Equal(sorted[i-1], sorted[i]) {
				j := slices.IndexFunc(r.keys, func(k []byte) bool { return bytes.Equal(k, sorted[i]) })
				return Receipt{}, fmt.Errorf("%w (day %s, record %d of the upload, twice)", ErrRecordExists, u.Records[j].Day, j)
			}
		}
	}

	if u.Code != nil {
		if err := useCode(tx, u.Code.ID, u.Code.Expires); err != nil {
			return Receipt{}, err
		}
	}
	for i, q := range r.quota {
		if err := qb.Put(q.Key, binary.BigEndian.AppendUint32(nil, uint32(counts[i]))); err != nil {
			return Receipt{}, err
		}
	}
	for i, k := range r.keys {
		if err := rb.Put(k, r.vals[i]); err != nil {
			return Receipt{}, err
		}
	}
	if err := addCounter(tx, metaRecords, int64(len(u.Records))); err != nil {
		return Receipt{}, err
	}
	rc, err := putReceipt(tx, u, len(u.Records), r.now)
	if err != nil {
		return Receipt{}, err
	}
	return rc, nil
}

// Package pgstore is a party's store on PostgreSQL (github.com/jackc/pgx/v5),
// for a party that runs several front ends on one database
// (docs/scale.md). It implements store.Backend with the same semantics as
// the embedded bbolt store and passes the same conformance suite
// (party/store/storetest).
//
// Values are sealed exactly as in the bbolt store (party/store/keys.go): each
// share, result blob and run input under the AES-256-GCM key of its day, with
// its key in the table as additional data. The day keys are not in the
// database: they live in a key file (by default pg.keys in the party's data
// directory) that every front end of the party opens, and Expire overwrites
// the expired days' keys there after it deleted their rows. PostgreSQL keeps
// a deleted row's bytes in the table's pages until VACUUM reuses them, in the
// WAL until its segments are recycled, in WAL archives and base backups for as
// long as they are kept, and in replicas: none of that is shredded, but every
// such copy of a share, result or run input is ciphertext under a key that no
// longer exists once Expire returns. What is in the clear in the database
// (record days and ids, upload ids and hashes, code ids and times, per-user-day
// counters under HMAC keys, run ids) is listed in keys.go; it stays in those
// copies too.
//
// Concurrency: every write is one transaction; uploads are one pipelined
// round trip (an implicit transaction). An upload id, a code and a record id
// are unique keys, so two front ends racing on one of them commit one upload
// and refuse (or, for a retry, re-receipt) the other. The per-user-day
// quota is exact; the total budget (Options.MaxRecords) is checked against a
// sum read in the transaction, so concurrent uploads may pass it by what is in
// flight at once.
//
// Writers hold a shared advisory lock for their transaction and Expire an
// exclusive one, and Expire raises a floor day under which no value is
// written any more, so no value is committed under a key being destroyed.
package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/wire/record"
)

// ErrSchemaNewer is returned by Open for a database whose schema is newer
// than this build knows.
var ErrSchemaNewer = errors.New("pgstore: database schema newer than this build")

// BatchSize is the number of rows read per query by the streaming readers.
const BatchSize = 1000

// DefaultPoolSize is the connection pool's size when the DSN does not set
// pool_max_conns.
const DefaultPoolSize = 32

// counterShards spreads the records counter over rows.
const counterShards = 32

// Advisory lock class ids (the object id is a hash of the schema name).
const (
	lockMigrate = 0x5afe0001
	lockShred   = 0x5afe0002
)

// Store is an open PostgreSQL party store. Its methods may be called
// concurrently, from several processes sharing the database and key file.
type Store struct {
	pool   *pgxpool.Pool
	keys   *store.DayKeys
	opt    store.Options
	lockID int32 // advisory lock object id of the schema
	schema int   // schema version
}

var _ store.Backend = (*Store)(nil)

// Open connects to the database at dsn (a postgres:// URL or key=value
// string; pool_max_conns sets the pool size), applies the schema migrations
// and opens the day-key file at keyPath, creating it for a new database. A
// database with a newer schema gives ErrSchemaNewer; a key file missing for a
// database that has one, or belonging to another database, is refused.
func Open(ctx context.Context, dsn, keyPath string, opts ...store.Options) (*Store, error) {
	if len(opts) > 1 {
		return nil, errors.New("pgstore: more than one Options")
	}
	var o store.Options
	if len(opts) == 1 {
		o = opts[0]
	}
	o = o.Defaults()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		// Uploads wait on their commit's WAL flush, not on the CPU: enough
		// connections let the commits of concurrent uploads share flushes.
		cfg.MaxConns = DefaultPoolSize
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	s := &Store{pool: pool, opt: o}
	if err := s.init(ctx, keyPath); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// init migrates the schema and opens the key file under the migration lock.
func (s *Store) init(ctx context.Context, keyPath string) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: connect: %w", err)
	}
	defer conn.Release()
	c := conn.Conn()
	if err := c.QueryRow(ctx, `SELECT hashtext(current_schema())`).Scan(&s.lockID); err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	if _, err := c.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, lockMigrate, s.lockID); err != nil {
		return fmt.Errorf("pgstore: migration lock: %w", err)
	}
	defer c.Exec(context.Background(), `SELECT pg_advisory_unlock($1, $2)`, lockMigrate, s.lockID)
	if s.schema, err = migrate(ctx, c); err != nil {
		return err
	}
	var id [16]byte
	rand.Read(id[:])
	tag, err := c.Exec(ctx, `INSERT INTO meta (k, v) VALUES ('id', $1) ON CONFLICT (k) DO NOTHING`, id[:])
	if err != nil {
		return fmt.Errorf("pgstore: store id: %w", err)
	}
	if tag.RowsAffected() == 1 {
		s.keys, err = store.CreateDayKeys(keyPath, id)
		return err
	}
	var b []byte
	if err := c.QueryRow(ctx, `SELECT v FROM meta WHERE k = 'id'`).Scan(&b); err != nil {
		return fmt.Errorf("pgstore: store id: %w", err)
	}
	if len(b) != 16 {
		return errors.New("pgstore: corrupt store id")
	}
	copy(id[:], b)
	s.keys, err = store.OpenDayKeys(keyPath, id)
	return err
}

// DefaultKeyPath is the key file in a party's data directory.
func DefaultKeyPath(dataDir string) string { return filepath.Join(dataDir, "pg.keys") }

// Schema returns the database's schema version.
func (s *Store) Schema() int { return s.schema }

// Close closes the pool and the key file.
func (s *Store) Close() error {
	s.pool.Close()
	return s.keys.Close()
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

func bg() context.Context { return context.Background() }

// refusal maps the database's refusals to the store's errors.
func refusal(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch {
	case pe.Code == "23505" && pe.ConstraintName == "codes_pkey":
		return store.ErrCodeUsed
	case pe.Code == "23505" && pe.ConstraintName == "records_pkey":
		return fmt.Errorf("%w (%s)", store.ErrRecordExists, pe.Detail)
	case pe.Code == "P0001" && pe.Message == "safetrace: quota":
		return store.ErrQuota
	case pe.Code == "P0001" && pe.Message == "safetrace: full":
		return store.ErrFull
	case pe.Code == "P0001" && pe.Message == "safetrace: shredded":
		return fmt.Errorf("%w: the day's key was destroyed by expiry", store.ErrKeyGone)
	}
	return err
}

func isUploadConflict(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "uploads_pkey"
}

func shard() int {
	n, _ := rand.Int(rand.Reader, big.NewInt(counterShards))
	return int(n.Int64())
}

const (
	sqlShredLock = `SELECT pg_advisory_xact_lock_shared($1, $2)`
	sqlFloor     = `SELECT safetrace_refuse('shredded') FROM shred_floor WHERE day > $1`
	sqlRoom      = `SELECT safetrace_refuse('full') WHERE $1::bigint >= 0 AND (SELECT coalesce(sum(n), 0) FROM counters) + $2::bigint > $1::bigint`
	sqlUpload    = `INSERT INTO uploads (id, hash, stored, records) VALUES ($1, $2, $3, $4)`
	// A spent code keeps its expiry only: used is always 0, so no time of
	// use joins the code to the report stored in the same transaction.
	sqlCode  = `INSERT INTO codes (id, used, expires) VALUES ($1, 0, $2)`
	sqlCount = `INSERT INTO counters (name, shard, n) VALUES ($1, $2, $3) ON CONFLICT (name, shard) DO UPDATE SET n = counters.n + excluded.n`
	sqlQuota = `WITH q AS (INSERT INTO quota (day, key, n) SELECT * FROM unnest($1::integer[], $2::bytea[], $3::integer[])
		ON CONFLICT (day, key) DO UPDATE SET n = quota.n + excluded.n RETURNING n)
		SELECT safetrace_refuse('quota') FROM q WHERE $4::integer >= 0 AND n > $4::integer LIMIT 1`
	sqlRecords = `INSERT INTO records (day, id, value) SELECT * FROM unnest($1::integer[], $2::bytea[], $3::bytea[])`
)

// PutUpload stores u's records, its idempotency entry and its code's use in
// one transaction, sent as one pipelined batch; see store.Store.PutUpload.
func (s *Store) PutUpload(u *store.Upload, now time.Time) (store.Receipt, error) {
	if err := store.CheckRecords(u); err != nil {
		return store.Receipt{}, err
	}
	minDay := record.Day(1<<32 - 1)
	days := make([]int32, len(u.Records))
	ids := make([][]byte, len(u.Records))
	_, vals, err := s.keys.SealRecords(u, now)
	if err != nil {
		return store.Receipt{}, err
	}
	for i := range u.Records {
		r := &u.Records[i]
		days[i], ids[i] = int32(r.Day), r.ID[:]
		minDay = min(minDay, r.Day)
	}
	quota, err := s.keys.Quota(u)
	if err != nil {
		return store.Receipt{}, err
	}
	var qd []int32
	var qk [][]byte
	var qn []int32
	for _, q := range quota {
		qd, qk, qn = append(qd, int32(q.Day)), append(qk, q.Key), append(qn, int32(q.N))
	}
	rc := store.NewReceipt(u, len(u.Records), now)
	b := &pgx.Batch{}
	b.Queue(sqlShredLock, lockShred, s.lockID)
	if len(u.Records) > 0 {
		b.Queue(sqlFloor, int32(minDay))
		b.Queue(sqlRoom, s.opt.MaxRecords, int64(len(u.Records)))
	}
	b.Queue(sqlUpload, u.ID, u.ContentHash[:], now.UnixNano(), int32(len(u.Records)))
	if u.Code != nil {
		b.Queue(sqlCode, u.Code.ID[:], u.Code.Expires.UnixNano())
	}
	if len(qd) > 0 {
		b.Queue(sqlQuota, qd, qk, qn, int32(s.opt.MaxRecordsPerUserDay))
	}
	if len(u.Records) > 0 {
		b.Queue(sqlRecords, days, ids, vals)
		b.Queue(sqlCount, "records", shard(), int64(len(u.Records)))
	}
	err = s.pool.SendBatch(bg(), b).Close()
	if isUploadConflict(err) {
		return s.retried(u)
	}
	if err != nil {
		if err := refusal(err); store.IsClientError(err) || errors.Is(err, store.ErrKeyGone) {
			return store.Receipt{}, err
		}
		return store.Receipt{}, fmt.Errorf("pgstore: put upload: %w", err)
	}
	return rc, nil
}

// retried answers an upload whose id is stored: the first receipt for the
// same content, ErrUploadReused for other content.
func (s *Store) retried(u *store.Upload) (store.Receipt, error) {
	old, ok, err := s.Upload(u.ID)
	if err != nil {
		return store.Receipt{}, err
	}
	if !ok {
		// Deleted by expiry between the two statements.
		return store.Receipt{}, fmt.Errorf("pgstore: upload %x vanished while retried", u.ID)
	}
	if old.ContentHash != u.ContentHash {
		return store.Receipt{}, store.ErrUploadReused
	}
	return old, nil
}

// Upload returns the receipt of a stored upload id.
func (s *Store) Upload(id []byte) (store.Receipt, bool, error) {
	var hash []byte
	var stored int64
	var n int32
	err := s.pool.QueryRow(bg(), `SELECT hash, stored, records FROM uploads WHERE id = $1`, id).Scan(&hash, &stored, &n)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Receipt{}, false, nil
	}
	if err != nil {
		return store.Receipt{}, false, fmt.Errorf("pgstore: upload: %w", err)
	}
	rc := store.Receipt{UploadID: append([]byte(nil), id...), Records: int(n), Stored: time.Unix(0, stored).UTC()}
	copy(rc.ContentHash[:], hash)
	return rc, true, nil
}

// UseCode records code id as used, or returns ErrCodeUsed.
func (s *Store) UseCode(id [16]byte, expires, now time.Time) error {
	_, err := s.pool.Exec(bg(), sqlCode, id[:], expires.UnixNano())
	if err != nil {
		if err := refusal(err); errors.Is(err, store.ErrCodeUsed) {
			return err
		}
		return fmt.Errorf("pgstore: use code: %w", err)
	}
	return nil
}

// CodeUsed reports whether code id is recorded as used.
func (s *Store) CodeUsed(id [16]byte) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(bg(), `SELECT EXISTS (SELECT 1 FROM codes WHERE id = $1)`, id[:]).Scan(&ok)
	return ok, err
}

// PutRunInput stores an upload that is the input of run runID; see
// store.Store.PutRunInput.
func (s *Store) PutRunInput(u *store.Upload, count int, runID string, input []byte, now time.Time) (store.Receipt, error) {
	if err := store.CheckID("upload id", u.ID); err != nil {
		return store.Receipt{}, err
	}
	if len(u.Records) != 0 {
		return store.Receipt{}, errors.New("store: a run input upload has no records")
	}
	if err := store.CheckRunID(runID); err != nil {
		return store.Receipt{}, err
	}
	rc := store.NewReceipt(u, count, now)
	items := int64(max(count, 1))
	err := s.tx(func(tx pgx.Tx) error {
		if _, err := tx.Exec(bg(), sqlUpload, u.ID, u.ContentHash[:], now.UnixNano(), int32(count)); err != nil {
			return err
		}
		if u.Code != nil {
			if _, err := tx.Exec(bg(), sqlCode, u.Code.ID[:], u.Code.Expires.UnixNano()); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(bg(), sqlRoom, s.opt.MaxRecords, items); err != nil {
			return err
		}
		return s.addRunInput(tx, runID, input, items, now)
	})
	if isUploadConflict(err) {
		return s.retried(u)
	}
	if err != nil {
		if err := refusal(err); store.IsClientError(err) {
			return store.Receipt{}, err
		}
		return store.Receipt{}, fmt.Errorf("pgstore: put run input: %w", err)
	}
	return rc, nil
}

// tx runs fn in a transaction holding the shared shred lock.
func (s *Store) tx(fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(bg(), s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(bg(), sqlShredLock, lockShred, s.lockID); err != nil {
			return err
		}
		return fn(tx)
	})
}

// addRunInput appends data to run runID, creating it at now, sealed under
// the key of the run's creation day; items count against MaxRecords.
func (s *Store) addRunInput(tx pgx.Tx, runID string, data []byte, items int64, now time.Time) error {
	var created, seq int64
	err := tx.QueryRow(bg(), `INSERT INTO runs (id, created, items) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET items = runs.items + excluded.items
		RETURNING created, nextval('run_inputs_seq')`, runID, now.UnixNano(), items).Scan(&created, &seq)
	if err != nil {
		return err
	}
	d := record.DayOf(time.Unix(0, created))
	if _, err := tx.Exec(bg(), sqlFloor, int32(d)); err != nil {
		return err
	}
	dk, err := s.keys.Ensure(d)
	if err != nil {
		return err
	}
	k := binary.BigEndian.AppendUint64([]byte{1}, uint64(seq))
	if _, err := tx.Exec(bg(), `INSERT INTO run_inputs (run, seq, data) VALUES ($1, $2, $3)`, runID, seq, dk.Seal(store.AdRun(runID, k), data)); err != nil {
		return err
	}
	if items > 0 {
		_, err = tx.Exec(bg(), sqlCount, "runitems", shard(), items)
	}
	return err
}

// AddRunInput appends an input of run runID, creating the run at now.
func (s *Store) AddRunInput(runID string, data []byte, now time.Time) error {
	if err := store.CheckRunID(runID); err != nil {
		return err
	}
	if err := s.tx(func(tx pgx.Tx) error { return s.addRunInput(tx, runID, data, 0, now) }); err != nil {
		return fmt.Errorf("pgstore: add run input: %w", refusal(err))
	}
	return nil
}

// RunExists reports whether run runID exists.
func (s *Store) RunExists(runID string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(bg(), `SELECT EXISTS (SELECT 1 FROM runs WHERE id = $1)`, runID).Scan(&ok)
	return ok, err
}

// DeleteRun deletes run runID and its inputs.
func (s *Store) DeleteRun(runID string) error {
	return pgx.BeginFunc(bg(), s.pool, func(tx pgx.Tx) error { return deleteRuns(tx, []string{runID}) })
}

func deleteRuns(tx pgx.Tx, ids []string) error {
	var items int64
	err := tx.QueryRow(bg(), `WITH d AS (DELETE FROM runs WHERE id = ANY($1) RETURNING items) SELECT coalesce(sum(items), 0) FROM d`, ids).Scan(&items)
	if err != nil || items == 0 {
		return err
	}
	_, err = tx.Exec(bg(), sqlCount, "runitems", 0, -items)
	return err
}

// ForEachRunInput calls fn with each input of run runID in the order added,
// reading BatchSize inputs per query in one snapshot.
func (s *Store) ForEachRunInput(runID string, fn func(data []byte) error) error {
	return s.snapshot(func(tx pgx.Tx) error {
		var created int64
		err := tx.QueryRow(bg(), `SELECT created FROM runs WHERE id = $1`, runID).Scan(&created)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		dk, err := s.keys.Get(record.DayOf(time.Unix(0, created)))
		if err != nil {
			return err
		}
		last := int64(-1)
		var buf []byte
		for {
			type in struct {
				seq  int64
				data []byte
			}
			var batch []in
			rows, _ := tx.Query(bg(), `SELECT seq, data FROM run_inputs WHERE run = $1 AND seq > $2 ORDER BY seq LIMIT $3`, runID, last, BatchSize)
			var it in
			_, err := pgx.ForEachRow(rows, []any{&it.seq, &it.data}, func() error {
				batch = append(batch, in{it.seq, append([]byte(nil), it.data...)})
				return nil
			})
			if err != nil {
				return err
			}
			for _, it := range batch {
				k := binary.BigEndian.AppendUint64([]byte{1}, uint64(it.seq))
				if buf, err = dk.Open(buf, store.AdRun(runID, k), it.data); err != nil {
					return err
				}
				if err := fn(buf); err != nil {
					return err
				}
				last = it.seq
			}
			if len(batch) < BatchSize {
				return nil
			}
		}
	})
}

// snapshot runs fn in a read-only repeatable-read transaction: the
// batches of a streaming read see one snapshot.
func (s *Store) snapshot(fn func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(bg(), s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// ForEachRecord calls fn for every record with from <= Day <= to, in order
// of (day, id), reading BatchSize records per query (keyset pagination on
// the primary key) in one snapshot, so memory is bounded by a batch. The
// Record is valid only during the call.
func (s *Store) ForEachRecord(from, to record.Day, fn func(r *store.Record) error) error {
	return s.forEachRecord(from, to, store.DecodeRecord, fn)
}

// ForEachRecordEncoded is ForEachRecord without decoding the shares (see
// store.Backend).
func (s *Store) ForEachRecordEncoded(from, to record.Day, fn func(r *store.Record) error) error {
	return s.forEachRecord(from, to, store.DecodeRecordEncoded, fn)
}

func (s *Store) forEachRecord(from, to record.Day, decode func(k, v []byte) (*store.Record, error), fn func(r *store.Record) error) error {
	// Days are int4 in the table; later days than that hold no records.
	to = min(to, math.MaxInt32)
	if from > to {
		return nil
	}
	type row struct {
		day       int32
		id, value []byte
	}
	return s.snapshot(func(tx pgx.Tx) error {
		var buf []byte
		var dk store.DayKey
		kd := record.Day(0)
		have := false
		var lastDay int32
		var lastID []byte
		first := true
		batch := make([]row, 0, BatchSize)
		for {
			var rows pgx.Rows
			if first {
				rows, _ = tx.Query(bg(), `SELECT day, id, value FROM records WHERE day >= $1 AND day <= $2 ORDER BY day, id LIMIT $3`, int64(from), int64(to), BatchSize)
			} else {
				rows, _ = tx.Query(bg(), `SELECT day, id, value FROM records WHERE (day, id) > ($1, $2) AND day <= $3 ORDER BY day, id LIMIT $4`, lastDay, lastID, int64(to), BatchSize)
			}
			first = false
			batch = batch[:0]
			var r row
			_, err := pgx.ForEachRow(rows, []any{&r.day, &r.id, &r.value}, func() error {
				batch = append(batch, row{r.day, append([]byte(nil), r.id...), append([]byte(nil), r.value...)})
				return nil
			})
			if err != nil {
				return err
			}
			for _, r := range batch {
				d := record.Day(uint32(r.day))
				if !have || d != kd {
					if dk, err = s.keys.Get(d); err != nil {
						return err
					}
					kd, have = d, true
				}
				k := store.RecordKey(d, r.id)
				if buf, err = dk.Open(buf, store.AdRecord(k), r.value); err != nil {
					return err
				}
				rec, err := decode(k, buf)
				if err != nil {
					return err
				}
				if err := fn(rec); err != nil {
					return err
				}
				lastDay, lastID = r.day, r.id
			}
			if len(batch) < BatchSize {
				return nil
			}
		}
	})
}

// PutResult stores a sealed result blob for userKey.
func (s *Store) PutResult(userKey, blob []byte, now time.Time) (uint64, error) {
	var seq int64
	err := s.tx(func(tx pgx.Tx) error {
		if err := tx.QueryRow(bg(), `SELECT nextval('results_seq')`).Scan(&seq); err != nil {
			return err
		}
		return s.insertResults(tx, []store.UserResult{{UserKey: userKey, Blob: blob}}, []int64{seq}, now)
	})
	if err != nil {
		return 0, fmt.Errorf("pgstore: put result: %w", err)
	}
	return uint64(seq), nil
}

// insertResults seals and inserts results with their sequence numbers.
func (s *Store) insertResults(tx pgx.Tx, rs []store.UserResult, seqs []int64, now time.Time) error {
	dk, err := s.keys.Ensure(record.DayOf(now))
	if err != nil {
		return err
	}
	created := binary.BigEndian.AppendUint64(nil, uint64(now.UnixNano()))
	rows := make([][]any, len(rs))
	for i, r := range rs {
		p := store.UserPrefix(r.UserKey)
		k := binary.BigEndian.AppendUint64(append([]byte(nil), p...), uint64(seqs[i]))
		rows[i] = []any{p, seqs[i], now.UnixNano(), dk.Seal(store.AdResult(k, created), r.Blob)}
	}
	_, err = tx.CopyFrom(bg(), pgx.Identifier{"results"}, []string{"user_hash", "seq", "created", "blob"}, pgx.CopyFromRows(rows))
	return err
}

// Results returns the user's stored result blobs, oldest first.
func (s *Store) Results(userKey []byte) ([]store.Result, error) {
	p := store.UserPrefix(userKey)
	rows, _ := s.pool.Query(bg(), `SELECT seq, created, blob FROM results WHERE user_hash = $1 ORDER BY seq`, p)
	var rs []store.Result
	var seq, created int64
	var blob []byte
	_, err := pgx.ForEachRow(rows, []any{&seq, &created, &blob}, func() error {
		t := time.Unix(0, created).UTC()
		dk, err := s.keys.Get(record.DayOf(t))
		if err != nil {
			return err
		}
		k := binary.BigEndian.AppendUint64(append([]byte(nil), p...), uint64(seq))
		plain, err := dk.Open(nil, store.AdResult(k, binary.BigEndian.AppendUint64(nil, uint64(created))), blob)
		if err != nil {
			return err
		}
		rs = append(rs, store.Result{Seq: uint64(seq), Created: t, Blob: plain})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: results: %w", err)
	}
	return rs, nil
}

// DeleteResults deletes the user's results with Seq <= through.
func (s *Store) DeleteResults(userKey []byte, through uint64) (int, error) {
	if through > 1<<63-1 {
		through = 1<<63 - 1
	}
	tag, err := s.pool.Exec(bg(), `DELETE FROM results WHERE user_hash = $1 AND seq <= $2`, store.UserPrefix(userKey), int64(through))
	if err != nil {
		return 0, fmt.Errorf("pgstore: delete results: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// PutResults stores results, each replacing its user's older ones, in one
// transaction.
func (s *Store) PutResults(rs []store.UserResult, now time.Time) error {
	return s.Publish(&store.Publication{Results: rs}, now)
}

// Publish stores p in one transaction: all of it or nothing.
func (s *Store) Publish(p *store.Publication, now time.Time) error {
	for _, o := range p.Outputs {
		if err := store.CheckRunID(o.Run); err != nil {
			return err
		}
	}
	err := s.tx(func(tx pgx.Tx) error {
		if len(p.Results) > 0 {
			users := make([][]byte, len(p.Results))
			for i, r := range p.Results {
				users[i] = store.UserPrefix(r.UserKey)
			}
			if _, err := tx.Exec(bg(), `DELETE FROM results WHERE user_hash = ANY($1)`, users); err != nil {
				return err
			}
			seqs := make([]int64, 0, len(p.Results))
			rows, _ := tx.Query(bg(), `SELECT nextval('results_seq') FROM generate_series(1, $1)`, len(p.Results))
			var seq int64
			if _, err := pgx.ForEachRow(rows, []any{&seq}, func() error { seqs = append(seqs, seq); return nil }); err != nil {
				return err
			}
			if err := s.insertResults(tx, p.Results, seqs, now); err != nil {
				return err
			}
		}
		if len(p.DeleteRuns) > 0 {
			if err := deleteRuns(tx, p.DeleteRuns); err != nil {
				return err
			}
		}
		for _, o := range p.Outputs {
			if err := s.addRunInput(tx, o.Run, o.Data, 0, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pgstore: publish: %w", refusal(err))
	}
	return nil
}

// Expire deletes, in one transaction under the exclusive shred lock,
// everything outside the retention window (as store.Store.Expire), raises
// the floor day, and after the commit destroys the day keys of the days
// before the cutoff in the key file.
func (s *Store) Expire(now time.Time, retentionDays int) (store.Expired, error) {
	var e store.Expired
	if retentionDays < 1 {
		return e, fmt.Errorf("pgstore: retention of %d days", retentionDays)
	}
	cutoff := now.Add(-time.Duration(retentionDays) * 24 * time.Hour).UnixNano()
	cutoffDay := int64(record.DayOf(now)) - int64(retentionDays)
	err := pgx.BeginFunc(bg(), s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(bg(), `SELECT pg_advisory_xact_lock($1, $2)`, lockShred, s.lockID); err != nil {
			return err
		}
		n := func(q string, args ...any) (int, error) {
			tag, err := tx.Exec(bg(), q, args...)
			return int(tag.RowsAffected()), err
		}
		var err error
		if cutoffDay > 0 {
			if e.Records, err = n(`DELETE FROM records WHERE day < $1`, cutoffDay); err != nil {
				return err
			}
			if e.Records > 0 {
				if _, err := tx.Exec(bg(), sqlCount, "records", 0, -int64(e.Records)); err != nil {
					return err
				}
			}
			if _, err = n(`DELETE FROM quota WHERE day < $1`, cutoffDay); err != nil {
				return err
			}
			if _, err = n(`UPDATE shred_floor SET day = greatest(day, $1)`, cutoffDay); err != nil {
				return err
			}
		}
		if e.Uploads, err = n(`DELETE FROM uploads WHERE stored < $1`, cutoff); err != nil {
			return err
		}
		if e.Codes, err = n(`DELETE FROM codes WHERE expires < $1`, now.Add(-store.CodeGrace).UnixNano()); err != nil {
			return err
		}
		if e.Results, err = n(`DELETE FROM results WHERE created < $1`, cutoff); err != nil {
			return err
		}
		var items int64
		if err := tx.QueryRow(bg(), `WITH d AS (DELETE FROM runs WHERE created < $1 RETURNING items)
			SELECT count(*), coalesce(sum(items), 0) FROM d`, cutoff).Scan(&e.Runs, &items); err != nil {
			return err
		}
		if items > 0 {
			if _, err = tx.Exec(bg(), sqlCount, "runitems", 0, -items); err != nil {
				return err
			}
		}
		return expireRuns(bg(), tx, time.Unix(0, cutoff))
	})
	if err != nil {
		return store.Expired{}, fmt.Errorf("pgstore: expire: %w", err)
	}
	if cutoffDay > 0 {
		if e.DayKeys, err = s.keys.DestroyBefore(record.Day(cutoffDay)); err != nil {
			return e, err
		}
	}
	return e, nil
}

// Stats returns the store's sizes; DBBytes is the size of the schema's
// tables with their indexes and TOAST.
func (s *Store) Stats() (store.Stats, error) {
	st := store.Stats{MaxRecords: s.opt.MaxRecords, DayKeys: s.keys.Live()}
	err := s.pool.QueryRow(bg(), `SELECT
		coalesce((SELECT sum(n) FROM counters WHERE name = 'records'), 0)::bigint,
		coalesce((SELECT sum(n) FROM counters WHERE name = 'runitems'), 0)::bigint,
		coalesce((SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
			WHERE ns.nspname = current_schema() AND c.relkind = 'r'), 0)::bigint`).Scan(&st.Records, &st.RunItems, &st.DBBytes)
	if err != nil {
		return st, fmt.Errorf("pgstore: stats: %w", err)
	}
	return st, nil
}

// Lease takes or renews the lease name for holder for ttl and reports
// whether holder holds it now. The expiry is on the database's clock, so
// the front ends' clocks do not matter. A lease whose holder stopped
// renewing passes to the next caller once it expired.
func (s *Store) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	var got string
	err := s.pool.QueryRow(ctx, `INSERT INTO leases (name, holder, expires, since)
		VALUES ($1, $2, clock_timestamp() + $3 * interval '1 microsecond', clock_timestamp())
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires,
			since = CASE WHEN leases.holder = excluded.holder THEN leases.since ELSE excluded.since END
		WHERE leases.holder = excluded.holder OR leases.expires < clock_timestamp()
		RETURNING holder`, name, holder, ttl.Microseconds()).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("pgstore: lease %s: %w", name, err)
	}
	return got == holder, nil
}

// ReleaseLease gives up lease name if holder holds it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder)
	return err
}

// LeaseHolder returns the holder of lease name and whether it is live.
func (s *Store) LeaseHolder(ctx context.Context, name string) (string, bool, error) {
	var h string
	var live bool
	err := s.pool.QueryRow(ctx, `SELECT holder, expires > clock_timestamp() FROM leases WHERE name = $1`, name).Scan(&h, &live)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	return h, live, err
}

// IsDSN reports whether s names a PostgreSQL database (a postgres:// or
// postgresql:// URL).
func IsDSN(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

package store

import (
	"fmt"
	"time"

	"github.com/safetrace/safetrace/wire/record"
)

// What other implementations of Backend (package pgstore) share with this
// one: the day-key file, the sealing of values and the record encoding, so
// that every store seals the same bytes under the same scheme (keys.go).

// DayKeys is an open day-key file (keys.go). Several processes may share
// one: creation and destruction take a flock(2) of the file.
type DayKeys struct{ k *keyring }

// DayKey is one day's key.
type DayKey struct{ dk *dayKey }

// CreateDayKeys creates the key file at path for a new store with id; an
// existing file is replaced only if it holds no key.
func CreateDayKeys(path string, id [16]byte) (*DayKeys, error) {
	k, err := createKeyring(path, id)
	if err != nil {
		return nil, err
	}
	return &DayKeys{k}, nil
}

// OpenDayKeys opens the key file at path of the store with id.
func OpenDayKeys(path string, id [16]byte) (*DayKeys, error) {
	k, err := openKeyring(path, id)
	if err != nil {
		return nil, err
	}
	return &DayKeys{k}, nil
}

// Ensure returns day d's key, creating it (fsynced to the file) if needed.
func (k *DayKeys) Ensure(d record.Day) (DayKey, error) {
	dk, err := k.k.ensure(d)
	return DayKey{dk}, err
}

// Get returns day d's key, reading the file again if it is not known; it
// returns ErrKeyGone if the key does not exist.
func (k *DayKeys) Get(d record.Day) (DayKey, error) {
	if dk := k.k.get(d); dk != nil {
		return DayKey{dk}, nil
	}
	return DayKey{}, fmt.Errorf("%w (day %s)", ErrKeyGone, d)
}

// DestroyBefore overwrites the keys of the days before cut in the file.
func (k *DayKeys) DestroyBefore(cut record.Day) (int, error) { return k.k.destroyBefore(cut) }

// ForgetBefore drops the in-memory keys of days before cut.
func (k *DayKeys) ForgetBefore(cut record.Day) { k.k.forgetBefore(cut) }

// Live returns the number of live keys known to this process.
func (k *DayKeys) Live() int {
	k.k.mu.Lock()
	defer k.k.mu.Unlock()
	return len(k.k.days)
}

// Close closes the file.
func (k *DayKeys) Close() error { return k.k.close() }

// SealRecords returns the record keys (RecordKey) and sealed values of u's
// records as stored at now (UploadID u.ID, Created now), creating the day
// keys they need, with as few allocations as the bbolt store makes.
func (k *DayKeys) SealRecords(u *Upload, now time.Time) (keys, vals [][]byte, err error) {
	keys, vals, _, err = sealRecords(k.k, u, now)
	return keys, vals, err
}

// Quota returns what u's records add to the per-user-day counters, as
// PutUpload counts them against Options.MaxRecordsPerUserDay, creating the
// day keys the counters' keys need.
func (k *DayKeys) Quota(u *Upload) ([]QuotaAdd, error) {
	q, _, err := userDayQuota(k.k, u)
	return q, err
}

// Seal seals plain under the key with additional data ad.
func (k DayKey) Seal(ad, plain []byte) []byte { return k.dk.seal(ad, plain) }

// Open opens a sealed value into buf (reused) and returns the plaintext.
func (k DayKey) Open(buf, ad, v []byte) ([]byte, error) { return k.dk.open(buf, ad, v) }

// QuotaKey is the key of the counter of resultKey's records on day d.
func (k DayKey) QuotaKey(d record.Day, resultKey []byte) []byte { return k.dk.quotaKey(d, resultKey) }

// Helpers of the shared scheme.
var (
	// AdRecord, AdResult and AdRun are the additional data of sealed
	// records (keyed RecordKey), results (keyed UserPrefix || seq, with
	// the created time) and run inputs (keyed 0x01 || seq).
	AdRecord = adRecord
	AdResult = adResult
	AdRun    = adRun
	// RecordKey is day (uint32 BE) || record id.
	RecordKey = recordKey
	// EncodeRecord and DecodeRecord are a record's sealed value.
	EncodeRecord = encodeRecord
	DecodeRecord = decodeRecord
	// DecodeRecordEncoded leaves the share undecoded in Record.Encoded.
	DecodeRecordEncoded = decodeRecordEncoded
	// UserPrefix is the SHA-256 of a user's result key.
	UserPrefix = userPrefix
	// CheckID and CheckRunID check identifiers' lengths.
	CheckID    = checkID
	CheckRunID = checkRunID
	// IsClientError reports whether err is one of the Err values callers
	// branch on.
	IsClientError = isClientError
)

// CodeGrace is how long past its expiry a used code's entry is kept.
const CodeGrace = codeGrace

// CheckRecords checks the upload id and the kinds of an upload's records
// as PutUpload does.
func CheckRecords(u *Upload) error { return checkRecords(u) }

// Defaults applies the defaults to o's zero fields.
func (o Options) Defaults() Options {
	if o.MaxRecords == 0 {
		o.MaxRecords = DefaultMaxRecords
	}
	if o.MaxRecordsPerUserDay == 0 {
		o.MaxRecordsPerUserDay = DefaultMaxRecordsPerUserDay
	}
	return o
}

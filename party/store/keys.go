package store

// Day keys and crypto-shredding.
//
// Every record value, result blob and run input is sealed with AES-256-GCM
// under a data key of one UTC day (records: the record's day; results: the day
// they were stored; run inputs: the day their run was created), with a fresh
// random 96-bit nonce per value and the value's bbolt key as additional data,
// so a value cannot be moved to another key. Expire deletes the values of the
// days outside the retention window and then destroys those days' keys, so the
// copies that bbolt leaves in freed pages of party.db can no longer be opened.
//
// The day keys live in a separate small file next to the database (the
// database path with ".keys" appended), never in party.db: a freed bbolt page
// keeps its old bytes, so a key stored in the database would outlive its
// deletion. The key file is a header and an array of 64-byte slots; a key is
// added by writing a free slot and destroyed by writing zeros over its slot in
// place, each followed by an fsync before the store goes on. Slots are
// never moved, and the file is never rewritten or renamed, so no second copy
// of a key is made by the store. Several processes may share one key file
// (the front ends of a party on PostgreSQL, package pgstore): a key is
// created or destroyed under an exclusive flock(2) of the file after reading
// it again, and a process that misses a key reads the file again.
//
// What that guarantees: once Expire returns, neither party.db nor the key
// file contains, through the file system, any byte from which a deleted
// record's share, result key or kind, a result blob or a run input can be
// recovered. On a file system that overwrites file blocks in place (ext4 in
// its default data=ordered mode or data=writeback, XFS), the key's slot is
// also overwritten on the block device. It is not guaranteed below that:
// copy-on-write or log-structured file systems (btrfs, ZFS, F2FS), ext4 with
// data=journal (the journal holds a copy), snapshots, backups, and the flash
// translation layer of an SSD may keep the old slot; so may swap, a core dump,
// or the memory of the running process until it is reused. Deploy on a file
// system that writes in place, without snapshots of the data directory, and
// with swap off or encrypted; full-disk encryption does not help here (its
// key is not destroyed at expiry) but protects a stolen disk.
//
// Not encrypted, and so possibly left in freed pages after expiry: the
// bbolt keys (record day and client-chosen random record id; the SHA-256 of a
// user's result key with a result sequence number; run ids), upload ids with
// their content hash, time and record count, authority code ids with their
// times, and the per-user-day counters, whose keys are an HMAC of the result
// key under a key derived from the day key (unlinkable to the user once that
// key is destroyed).

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/safetrace/safetrace/wire/record"
)

const (
	slotSize  = 64
	keyHeader = "safetrace store day keys v1\n" // padded with zeros to 48 bytes, then the store id (16)
)

// ErrKeyGone is returned when a value's day key is missing: it was destroyed
// by Expire, or the key file does not belong to the database.
var ErrKeyGone = errors.New("store: the day key of a stored value is gone")

type dayKey struct {
	aead  cipher.AEAD
	quota []byte // HMAC key for per-user-day counters
	slot  int
	sum   [8]byte // the slot's checksum: a reload keeps this dayKey while it is unchanged
}

// keyring is the open key file and the live day keys.
type keyring struct {
	mu    sync.Mutex
	f     *os.File
	id    [16]byte
	days  map[record.Day]*dayKey
	free  []int // zero slots, reused before the file grows
	slots int   // slots in the file, the header not counted
}

func keyPath(dbPath string) string { return dbPath + ".keys" }

func slotSum(id [16]byte, s []byte) []byte {
	h := sha256.New()
	h.Write(id[:])
	h.Write(s[:56])
	return h.Sum(nil)[:8]
}

func header(id [16]byte) []byte {
	h := make([]byte, slotSize)
	copy(h, keyHeader)
	copy(h[48:], id[:])
	return h
}

// createKeyring creates the key file for a new store with id. An existing
// file is replaced only if it holds no key.
func createKeyring(path string, id [16]byte) (*keyring, error) {
	if b, err := os.ReadFile(path); err == nil {
		for i := slotSize; i+slotSize <= len(b); i += slotSize {
			if !allZero(b[i : i+slotSize]) {
				return nil, fmt.Errorf("store: %s holds day keys but the database is new; refusing to replace it", path)
			}
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if _, err := f.WriteAt(header(id), 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("store: write key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("store: sync key file: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return &keyring{f: f, id: id, days: map[record.Day]*dayKey{}}, nil
}

// openKeyring opens the key file of the store with id. Slots whose checksum
// fails (a write torn by a crash: a key not yet used, or one being destroyed)
// are zeroed.
func openKeyring(path string, id [16]byte) (*keyring, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0o600)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("store: key file %s is missing: the stored records cannot be decrypted", path)
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	k := &keyring{f: f, id: id, days: map[record.Day]*dayKey{}}
	if err := k.load(nil); err != nil {
		f.Close()
		return nil, fmt.Errorf("store: key file %s: %w", path, err)
	}
	return k, nil
}

// load reads the key file into k's empty maps. A key of prev (the keys
// before a reload) whose slot holds the same key again is kept as it is,
// not derived again, so that holders of it (group commit's keysLive) see it
// still live.
func (k *keyring) load(prev map[record.Day]*dayKey) error {
	b, err := io.ReadAll(io.NewSectionReader(k.f, 0, 1<<40))
	if err != nil {
		return err
	}
	if len(b) < slotSize || !bytes.Equal(b[:slotSize], header(k.id)) {
		return errors.New("not the key file of this database")
	}
	b = b[slotSize:]
	k.slots = len(b) / slotSize // a torn partial slot at the end is overwritten by the next add
	torn := false
	for i := range k.slots {
		s := b[i*slotSize : (i+1)*slotSize]
		switch {
		case allZero(s):
			k.free = append(k.free, i)
		case s[0] == 1 && hmac.Equal(s[56:], slotSum(k.id, s)):
			d := record.Day(binary.BigEndian.Uint32(s[1:5]))
			if k.days[d] != nil {
				return fmt.Errorf("two keys for day %s", d)
			}
			if dk := prev[d]; dk != nil && dk.slot == i && bytes.Equal(dk.sum[:], s[56:]) {
				k.days[d] = dk
				break
			}
			dk, err := deriveDayKey(s[5:37])
			if err != nil {
				return err
			}
			dk.slot = i
			copy(dk.sum[:], s[56:])
			k.days[d] = dk
		default:
			if _, err := k.f.WriteAt(make([]byte, slotSize), int64(i+1)*slotSize); err != nil {
				return err
			}
			k.free = append(k.free, i)
			torn = true
		}
		clear(s)
	}
	if torn {
		return k.f.Sync()
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func deriveDayKey(raw []byte) (*dayKey, error) {
	ek, err := hkdf.Key(sha256.New, raw, nil, "safetrace store values", 32)
	if err != nil {
		return nil, err
	}
	qk, err := hkdf.Key(sha256.New, raw, nil, "safetrace store user-day counters", 32)
	if err != nil {
		return nil, err
	}
	blk, err := aes.NewCipher(ek)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(blk)
	if err != nil {
		return nil, err
	}
	clear(ek)
	return &dayKey{aead: aead, quota: qk}, nil
}

// get returns day d's key, or nil.
func (k *keyring) get(d record.Day) *dayKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	if dk := k.days[d]; dk != nil {
		return dk
	}
	// Created by another process sharing the key file?
	if unlock, err := lockFile(k.f); err == nil {
		k.reload()
		unlock()
	}
	return k.days[d]
}

// reload reads the key file again (the caller holds mu and the file lock):
// keys created by another process appear, keys it destroyed vanish.
func (k *keyring) reload() error {
	days, free, slots := k.days, k.free, k.slots
	k.days, k.free, k.slots = map[record.Day]*dayKey{}, nil, 0
	if err := k.load(days); err != nil {
		k.days, k.free, k.slots = days, free, slots
		return err
	}
	return nil
}

// forgetBefore drops the in-memory keys of days before cut, which another
// process destroyed in the file.
func (k *keyring) forgetBefore(cut record.Day) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for d := range k.days {
		if d < cut {
			delete(k.days, d)
		}
	}
}

// snapshot returns a copy of the live keys, for a reader that must not see a
// key vanish under it.
func (k *keyring) snapshot() map[record.Day]*dayKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	m := make(map[record.Day]*dayKey, len(k.days))
	for d, v := range k.days {
		m[d] = v
	}
	return m
}

// ensure returns day d's key, creating it (written and fsynced to the key
// file) if there is none.
func (k *keyring) ensure(d record.Day) (*dayKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if dk := k.days[d]; dk != nil {
		return dk, nil
	}
	// Another process sharing the key file (front ends of one party on
	// PostgreSQL) may have created it: read the file again under its lock.
	unlock, err := lockFile(k.f)
	if err != nil {
		return nil, fmt.Errorf("store: lock key file: %w", err)
	}
	defer unlock()
	if err := k.reload(); err != nil {
		return nil, fmt.Errorf("store: key file: %w", err)
	}
	if dk := k.days[d]; dk != nil {
		return dk, nil
	}
	s := make([]byte, slotSize)
	s[0] = 1
	binary.BigEndian.PutUint32(s[1:5], uint32(d))
	rand.Read(s[5:37])
	copy(s[56:], slotSum(k.id, s))
	dk, err := deriveDayKey(s[5:37])
	if err != nil {
		return nil, err
	}
	copy(dk.sum[:], s[56:])
	slot := k.slots
	if n := len(k.free); n > 0 {
		slot = k.free[n-1]
	}
	_, err = k.f.WriteAt(s, int64(slot+1)*slotSize)
	clear(s)
	if err == nil {
		err = k.f.Sync()
	}
	if err != nil {
		return nil, fmt.Errorf("store: write day key: %w", err)
	}
	if slot == k.slots {
		k.slots++
	} else {
		k.free = k.free[:len(k.free)-1]
	}
	dk.slot = slot
	k.days[d] = dk
	return dk, nil
}

// destroyBefore reads the file again and overwrites the slots of all keys of days before cut with
// zeros, fsyncs the key file, and forgets the keys. It returns how many it
// destroyed.
func (k *keyring) destroyBefore(cut record.Day) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	unlock, err := lockFile(k.f)
	if err != nil {
		return 0, fmt.Errorf("store: lock key file: %w", err)
	}
	defer unlock()
	if err := k.reload(); err != nil {
		return 0, fmt.Errorf("store: key file: %w", err)
	}
	zero := make([]byte, slotSize)
	var gone []record.Day
	for d, dk := range k.days {
		if d >= cut {
			continue
		}
		if _, err := k.f.WriteAt(zero, int64(dk.slot+1)*slotSize); err != nil {
			return 0, fmt.Errorf("store: destroy day key: %w", err)
		}
		gone = append(gone, d)
	}
	if len(gone) == 0 {
		return 0, nil
	}
	if err := k.f.Sync(); err != nil {
		return 0, fmt.Errorf("store: destroy day key: %w", err)
	}
	for _, d := range gone {
		k.free = append(k.free, k.days[d].slot)
		delete(k.days, d)
	}
	return len(gone), nil
}

func (k *keyring) close() error { return k.f.Close() }

// Sealed values: version, nonce, AES-GCM ciphertext and tag.
const sealedVersion = 2

func (dk *dayKey) seal(ad, plain []byte) []byte {
	n := dk.aead.NonceSize()
	out := make([]byte, 1+n, 1+n+len(plain)+dk.aead.Overhead())
	out[0] = sealedVersion
	rand.Read(out[1 : 1+n])
	return dk.aead.Seal(out, out[1:1+n], plain, ad)
}

// appendSeal appends the sealed value of plain to dst, as seal does, with
// the given nonce (fresh random bytes of the AEAD's nonce size).
func (dk *dayKey) appendSeal(dst, nonce, ad, plain []byte) []byte {
	dst = append(append(dst, sealedVersion), nonce...)
	return dk.aead.Seal(dst, nonce, plain, ad)
}

// open decrypts v into buf (which it may reuse) and returns the plaintext.
func (dk *dayKey) open(buf, ad, v []byte) ([]byte, error) {
	n := dk.aead.NonceSize()
	if len(v) < 1+n+dk.aead.Overhead() || v[0] != sealedVersion {
		return nil, errCorrupt
	}
	p, err := dk.aead.Open(buf[:0], v[1:1+n], v[1+n:], ad)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	return p, nil
}

// quotaKey is the bbolt key of the counter of records of resultKey on day d.
func (dk *dayKey) quotaKey(d record.Day, resultKey []byte) []byte {
	m := hmac.New(sha256.New, dk.quota)
	m.Write(resultKey)
	return m.Sum(binary.BigEndian.AppendUint32(nil, uint32(d)))[:4+16]
}

// Additional data of sealed values: a label and the value's bbolt key.
func adRecord(k []byte) []byte { return append([]byte("record\x00"), k...) }

func adResult(k, created []byte) []byte {
	return append(append([]byte("result\x00"), k...), created...)
}

func adRun(runID string, k []byte) []byte {
	ad := append([]byte("run\x00"), byte(len(runID)))
	return append(append(ad, runID...), k...)
}

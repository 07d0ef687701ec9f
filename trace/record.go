package trace

import (
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"time"
)

// A Kind says what the place of a record is.
type Kind uint8

// Record kinds. The numeric values are part of the key derivation and never
// change.
const (
	KindVenue     Kind = 1 // place: a venue's 32-byte secret
	KindGPS       Kind = 2 // place: a geohash cell, ASCII
	KindEncounter Kind = 3 // place: the other person's 16-byte ephemeral ID
)

// String returns "venue", "gps" or "encounter".
func (k Kind) String() string {
	switch k {
	case KindVenue:
		return "venue"
	case KindGPS:
		return "gps"
	case KindEncounter:
		return "encounter"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// KeySize is the size of a record key: the 64 uniform bytes that are mapped
// to a ristretto255 element with the standard hash-to-group
// (Element.SetUniformBytes / FromUniformBytes).
const KeySize = sha512.Size

// A Record is one (place, time) a user was at, with its duration and weight.
// Records are what the browser shares among the parties.
type Record struct {
	// Key identifies the (kind, place, time bucket); see [RecordKey].
	Key [KeySize]byte
	// Kind is the kind of place. It is not sent to the parties (the key
	// already separates kinds); it is kept for display and tests.
	Kind Kind
	// Day is the UTC day of the time bucket.
	Day Day
	// Minutes is the time spent in this (place, bucket): 1..BucketMinutes
	// for venue and GPS records, 1..1440 for encounter records.
	Minutes uint32
	// Weight is the transmission-risk weight in per-mille of a positive
	// record, and 0 in an ordinary record.
	Weight uint32
}

// keyDomain separates record keys from every other use of SHA-512.
const keyDomain = "safetrace record v1"

// KeyInput returns the byte string hashed into a record key:
//
//	u16be(len(domain)) || domain  where domain = "safetrace record v1"
//	u8(kind)
//	u16be(len(place))  || place
//	i64be(start)                  bucket start in minutes since the Unix epoch
//
// Every field has a fixed size or a length prefix, so distinct inputs never
// give the same byte string. place must be shorter than 65536 bytes.
func KeyInput(kind Kind, place []byte, start int64) []byte {
	if len(place) > 0xffff {
		panic("trace: place too long")
	}
	b := make([]byte, 0, 2+len(keyDomain)+1+2+len(place)+8)
	b = binary.BigEndian.AppendUint16(b, uint16(len(keyDomain)))
	b = append(b, keyDomain...)
	b = append(b, byte(kind))
	b = binary.BigEndian.AppendUint16(b, uint16(len(place)))
	b = append(b, place...)
	b = binary.BigEndian.AppendUint64(b, uint64(start))
	return b
}

// RecordKey returns SHA-512(KeyInput(kind, place, start)).
func RecordKey(kind Kind, place []byte, start int64) [KeySize]byte {
	return sha512.Sum512(KeyInput(kind, place, start))
}

// A bucketSpan is the part of a stay inside one time bucket.
type bucketSpan struct {
	start int64         // bucket start, minutes since the Unix epoch
	dur   time.Duration // time inside the bucket, > 0
}

// splitBuckets splits [from, to) into the UTC-aligned buckets of the given
// size in minutes it overlaps, in order. Because the size divides 1440, no
// bucket spans midnight.
func splitBuckets(from, to time.Time, bucket int) []bucketSpan {
	size := int64(bucket) * 60 // seconds
	var spans []bucketSpan
	for b := floorDiv(from.Unix(), size) * size; time.Unix(b, 0).Before(to); b += size {
		lo, hi := time.Unix(b, 0), time.Unix(b+size, 0)
		if lo.Before(from) {
			lo = from
		}
		if hi.After(to) {
			hi = to
		}
		if d := hi.Sub(lo); d > 0 {
			spans = append(spans, bucketSpan{start: b / 60, dur: d})
		}
	}
	return spans
}

// wholeMinutes rounds d up to whole minutes and caps the result at max: a
// partial minute counts as a minute, so any overlap gives at least 1.
func wholeMinutes(d time.Duration, max int) uint32 {
	m := (d + time.Minute - 1) / time.Minute
	if m > time.Duration(max) {
		m = time.Duration(max)
	}
	return uint32(m)
}

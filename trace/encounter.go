package trace

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// IDSize is the size of an ephemeral ID.
const IDSize = 16

// SeedSize is the size of a personal encounter seed.
const SeedSize = 32

// ephemeralDomain separates ephemeral IDs from other uses of the seed.
const ephemeralDomain = "safetrace ephemeral v1"

// EphemeralID returns the person's ephemeral ID for day d:
//
//	HMAC-SHA256(key = seed, "safetrace ephemeral v1" || i64be(d))[:16]
//
// It changes every UTC day and, without the seed, IDs of different days
// cannot be linked to each other.
func EphemeralID(seed [SeedSize]byte, d Day) [IDSize]byte {
	m := hmac.New(sha256.New, seed[:])
	m.Write([]byte(ephemeralDomain))
	m.Write(binary.BigEndian.AppendUint64(nil, uint64(int64(d))))
	var id [IDSize]byte
	copy(id[:], m.Sum(nil))
	return id
}

// EncounterPrefix starts every personal encounter code.
const EncounterPrefix = "st-enc1."

// encounterPayloadSize is the size of the code's payload: ID and u32be day.
const encounterPayloadSize = IDSize + 4

// EncounterCode returns the text of the person's personal QR code for day d:
// [EncounterPrefix] followed by the unpadded base64url encoding of the day's
// ephemeral ID and the day as a 4-byte big-endian number. d must lie in
// [MinDay, MaxDay].
func EncounterCode(seed [SeedSize]byte, d Day) string {
	id := EphemeralID(seed, d)
	return encodeEncounter(id, d)
}

func encodeEncounter(id [IDSize]byte, d Day) string {
	b := make([]byte, 0, encounterPayloadSize)
	b = append(b, id[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(d))
	return EncounterPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// ParseEncounterCode reads a personal encounter code. It is strict: the
// prefix, the unpadded canonical base64url payload of exactly 20 bytes, and a
// day in [MinDay, MaxDay]; an accepted code is exactly what [EncounterCode]
// writes for that ID and day.
func ParseEncounterCode(s string) (id [IDSize]byte, d Day, err error) {
	rest, ok := strings.CutPrefix(s, EncounterPrefix)
	if !ok {
		return id, 0, errors.New("trace: not an encounter code")
	}
	if len(rest) != base64.RawURLEncoding.EncodedLen(encounterPayloadSize) {
		return id, 0, fmt.Errorf("trace: encounter code payload has %d characters, want %d", len(rest), base64.RawURLEncoding.EncodedLen(encounterPayloadSize))
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	if err != nil || len(b) != encounterPayloadSize {
		return id, 0, errors.New("trace: bad encounter code encoding")
	}
	copy(id[:], b)
	day := binary.BigEndian.Uint32(b[IDSize:])
	if day > uint32(MaxDay) {
		return [IDSize]byte{}, 0, fmt.Errorf("trace: encounter code day %d out of range", day)
	}
	return id, Day(day), nil
}

// EncounterRecord returns the ordinary record of an encounter on day d with
// the person whose ephemeral ID for that day is id, credited with
// EncounterMinutes. The time bucket of an encounter is the whole day: the key
// uses the start of d.
func EncounterRecord(id [IDSize]byte, d Day, p Params) (Record, error) {
	if err := p.Validate(); err != nil {
		return Record{}, err
	}
	if d < MinDay || d > MaxDay {
		return Record{}, fmt.Errorf("trace: encounter day %d out of range", d)
	}
	return encounterRecord(id, d, uint32(p.EncounterMinutes)), nil
}

func encounterRecord(id [IDSize]byte, d Day, minutes uint32) Record {
	return Record{
		Key:     RecordKey(KindEncounter, id[:], d.StartMinute()),
		Kind:    KindEncounter,
		Day:     d,
		Minutes: minutes,
	}
}

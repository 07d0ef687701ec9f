package trace

import (
	"encoding/hex"
	"strings"
	"testing"
)

func seed7() (s [SeedSize]byte) {
	for i := range s {
		s[i] = 7
	}
	return s
}

func TestEphemeralID(t *testing.T) {
	d := mustDay("2026-11-20")
	id := EphemeralID(seed7(), d)
	// Python: hmac.new(b"\x07"*32, b"safetrace ephemeral v1" + (20777).to_bytes(8, "big"), sha256).digest()[:16]
	if got := hex.EncodeToString(id[:]); got != "bb352a24555b2a3d4185467b1787643b" {
		t.Fatalf("EphemeralID = %s", got)
	}
	if EphemeralID(seed7(), d) != id {
		t.Fatal("EphemeralID not deterministic")
	}
	seen := map[[IDSize]byte]bool{}
	for i := range Day(30) {
		seen[EphemeralID(seed7(), d+i)] = true
	}
	if len(seen) != 30 {
		t.Fatal("ephemeral IDs do not rotate daily")
	}
	other := seed7()
	other[31] = 8
	if EphemeralID(other, d) == id {
		t.Fatal("ephemeral ID independent of the seed")
	}
}

func TestEncounterCode(t *testing.T) {
	d := mustDay("2026-11-20")
	code := EncounterCode(seed7(), d)
	if code != "st-enc1.uzUqJFVbKj1BhUZ7F4dkOwAAUSk" {
		t.Fatalf("EncounterCode = %s", code)
	}
	id, day, err := ParseEncounterCode(code)
	if err != nil || id != EphemeralID(seed7(), d) || day != d {
		t.Fatalf("ParseEncounterCode = %x, %v, %v", id, day, err)
	}
	for _, bad := range []string{
		"",
		"st-enc1.",
		"st-enc2.uzUqJFVbKj1BhUZ7F4dkOwAAUSk",
		"ST-ENC1.uzUqJFVbKj1BhUZ7F4dkOwAAUSk",
		"st-enc1.uzUqJFVbKj1BhUZ7F4dkOwAAUSk=",  // padding
		"st-enc1.uzUqJFVbKj1BhUZ7F4dkOwAAUS",    // short
		"st-enc1.uzUqJFVbKj1BhUZ7F4dkOwAAUSkA",  // long
		"st-enc1.uzUqJFVbKj1BhUZ7F4dkOwAAUSl",   // non-zero trailing bits
		"st-enc1.uzUqJFVbKj1BhUZ7F4dkOw+AUSk",   // standard alphabet
		"st-enc1.uzUqJFVbKj1BhUZ7F4dkOwAAUS\nk", // newline
		" st-enc1.uzUqJFVbKj1BhUZ7F4dkOwAAUSk",
		"st-enc1.AAAAAAAAAAAAAAAAAAAAAAAswKE", // day 2932897, past 9999-12-31
		"st-enc1.AAAAAAAAAAAAAAAAAAAAAP____8", // day 2^32-1
	} {
		if _, _, err := ParseEncounterCode(bad); err == nil {
			t.Errorf("ParseEncounterCode(%q) accepted", bad)
		}
	}
	max := encodeEncounter([IDSize]byte{}, MaxDay)
	if _, d, err := ParseEncounterCode(max); err != nil || d != MaxDay {
		t.Fatalf("MaxDay code %s: %v", max, err)
	}
}

func TestEncounterRecord(t *testing.T) {
	p := DefaultParams()
	d := mustDay("2026-11-20")
	id := EphemeralID(seed7(), d)
	r, err := EncounterRecord(id, d, p)
	if err != nil {
		t.Fatal(err)
	}
	// Key known answer from Python, as in TestRecordKeyKnownAnswers.
	if got := hex.EncodeToString(r.Key[:]); !strings.HasPrefix(got, "cdaeeb7e357579f5ce1c4795bc300078") || r.Minutes != 15 || r.Day != d || r.Kind != KindEncounter || r.Weight != 0 {
		t.Fatalf("EncounterRecord = %s %+v", got, r)
	}
	if _, err := EncounterRecord(id, -1, p); err == nil {
		t.Fatal("negative day accepted")
	}
}

func FuzzParseEncounterCode(f *testing.F) {
	f.Add("st-enc1.uzUqJFVbKj1BhUZ7F4dkOwAAUSk")
	f.Add("st-enc1.uzUqJFVbKj1BhUZ7F4dkOwAAUSl")
	f.Add("st-enc1.AAAAAAAAAAAAAAAAAAAAAAAswKA")
	f.Fuzz(func(t *testing.T, s string) {
		id, d, err := ParseEncounterCode(s)
		if err != nil {
			return
		}
		if d < MinDay || d > MaxDay {
			t.Fatalf("day %d out of range", d)
		}
		if again := encodeEncounter(id, d); again != s {
			t.Fatalf("%q parsed and encoded back as %q", s, again)
		}
	})
}

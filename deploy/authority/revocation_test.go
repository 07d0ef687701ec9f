package authority

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestPurposeSeparation(t *testing.T) {
	k, _ := GenerateKey("Gesundheitsamt")
	m := testManifest(t, k)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	venue, err := issueAt(k, VenueWarning, 1, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	personal, _ := issueAt(k, PositiveTest, 1, time.Hour, now)
	if _, _, err := VerifyAt(m, venue[0], now); !errors.Is(err, ErrWrongPurpose) {
		t.Errorf("venue-warning code as positive-test code: %v, want ErrWrongPurpose", err)
	}
	if _, err := Check(m, personal[0], VenueWarning, now); !errors.Is(err, ErrWrongPurpose) {
		t.Errorf("positive-test code as venue-warning code: %v, want ErrWrongPurpose", err)
	}
	if v, err := Check(m, venue[0], VenueWarning, now); err != nil || v.Purpose != VenueWarning {
		t.Errorf("venue-warning code: %v %v", v, err)
	}
	// Flipping the purpose byte breaks the signature: the purpose is also
	// in the signed prefix.
	c, _ := ParseCode(venue[0])
	c.Purpose = PositiveTest
	if _, _, err := VerifyAt(m, c.String(), now); !errors.Is(err, ErrBadSignature) {
		t.Errorf("venue-warning code relabelled: %v, want ErrBadSignature", err)
	}
}

func TestRevocationList(t *testing.T) {
	k, _ := GenerateKey("Gesundheitsamt")
	other, _ := GenerateKey("other")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	a, b, old := Revoked{ID: [16]byte{9}, Expires: now.Add(time.Hour)}, Revoked{ID: [16]byte{1}, Expires: now.Add(2 * time.Hour)}, Revoked{ID: [16]byte{5}, Expires: now.Add(-time.Second)}
	l, err := SignRevocations(k, 7, []Revoked{a, b, a, old}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Revoked) != 2 || !l.Revokes(a.ID) || !l.Revokes(b.ID) || l.Revokes(old.ID) {
		t.Fatalf("list %+v", l.Revoked)
	}
	data, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	l2, err := ParseRevocations(data)
	if err != nil {
		t.Fatal(err)
	}
	data2, _ := l2.Marshal()
	if !bytes.Equal(data, data2) {
		t.Errorf("round trip changed the list:\n%s\n%s", data, data2)
	}
	if err := l2.VerifyFor(testManifest(t, k)); err != nil {
		t.Error(err)
	}
	if err := l2.VerifyFor(testManifest(t, other)); err == nil {
		t.Error("list accepted for a manifest without its authority")
	}
	// Tampering: a higher serial, a dropped entry.
	for _, bad := range [][]byte{
		bytes.Replace(data, []byte(`"serial": 7`), []byte(`"serial": 8`), 1),
		bytes.Replace(data, []byte(`"0900`), []byte(`"0800`), 1),
	} {
		if _, err := ParseRevocations(bad); err == nil {
			t.Errorf("tampered list accepted:\n%s", bad)
		}
	}
}

func FuzzParseRevocations(f *testing.F) {
	k, _ := GenerateKey("x")
	l, _ := SignRevocations(k, 1, []Revoked{{ID: [16]byte{1}, Expires: time.Now().Add(time.Hour)}}, time.Now())
	b, _ := l.Marshal()
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseRevocations(data)
		if err != nil {
			return
		}
		b, err := l.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseRevocations(b); err != nil {
			t.Fatalf("re-encoded list does not parse: %v", err)
		}
	})
}

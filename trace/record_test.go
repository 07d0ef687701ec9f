package trace

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

func testSecret() (s [SecretSize]byte) {
	for i := range s {
		s[i] = byte(i + 1)
	}
	return s
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func mustDay(s string) Day {
	d, err := ParseDay(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestKeyInputLayout(t *testing.T) {
	got := KeyInput(KindVenue, []byte{0xaa, 0xbb}, 0x0102030405060708)
	want := append([]byte{0, 19}, "safetrace record v1"...)
	want = append(want, 1, 0, 2, 0xaa, 0xbb, 1, 2, 3, 4, 5, 6, 7, 8)
	if !bytes.Equal(got, want) {
		t.Fatalf("KeyInput = %x, want %x", got, want)
	}
	neg := KeyInput(KindGPS, nil, -1)
	if !bytes.HasSuffix(neg, []byte{2, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) {
		t.Fatalf("KeyInput(-1) = %x", neg)
	}
}

// Known answers computed independently with Python's hashlib and hmac
// from the byte layout in docs/trace.md.
func TestRecordKeyKnownAnswers(t *testing.T) {
	start := at("2026-11-20T10:00:00Z").Unix() / 60
	if start != 29919480 {
		t.Fatalf("start = %d", start)
	}
	secret := testSecret()
	for _, tc := range []struct {
		kind  Kind
		place []byte
		start int64
		want  string
	}{
		{KindVenue, secret[:], start, "20cacc83d9b14d43641c649ad869b03d601de6f419ab40eadddba2b327e068d27f86f23dc41c6fd81f463bb16a443f2fc9f5976c27a7157ef5ecb26ce0f66b83"},
		{KindGPS, []byte("u33dc0c"), start, "15052a644810da60f0b54175dd743774cd1a2bba9c9966c3189c59764247aad6b4674f6cbb0a5f4ea8e94cebe5973aa2d53350ec1ed6486c115ef50e70246937"},
	} {
		k := RecordKey(tc.kind, tc.place, tc.start)
		if got := hex.EncodeToString(k[:]); got != tc.want {
			t.Errorf("RecordKey(%v) = %s, want %s", tc.kind, got, tc.want)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindVenue: "venue", KindGPS: "gps", KindEncounter: "encounter", 9: "kind(9)"} {
		if k.String() != want {
			t.Errorf("%d: %q", k, k.String())
		}
	}
}

func TestDay(t *testing.T) {
	d := mustDay("2026-11-20")
	if d != 20777 || d.String() != "2026-11-20" || !d.Start().Equal(at("2026-11-20T00:00:00Z")) {
		t.Fatalf("day %d %s %s", d, d, d.Start())
	}
	if DayOf(at("2026-11-20T23:59:59.999Z")) != d || DayOf(at("2026-11-21T00:00:00Z")) != d+1 {
		t.Fatal("DayOf boundaries")
	}
	if DayOf(at("1969-12-31T23:00:00Z")) != -1 {
		t.Fatal("DayOf before the epoch")
	}
	for _, s := range []string{
		"", "2026-1-20", "2026-11-31", "2026-02-29", "20261120", "2026-11-20T00:00:00Z",
		" 2026-11-20", "1969-12-31", "+2026-11-20",
	} {
		if _, err := ParseDay(s); err == nil {
			t.Errorf("ParseDay(%q) accepted", s)
		}
	}
	if mustDay("9999-12-31") != MaxDay || mustDay("1970-01-01") != MinDay {
		t.Fatal("day range")
	}
}

type span struct {
	bucket  string // bucket start, RFC 3339
	minutes uint32
}

func checkSpans(t *testing.T, recs []Record, kind Kind, place []byte, want []span) {
	t.Helper()
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d: %+v", len(recs), len(want), recs)
	}
	for i, w := range want {
		b := at(w.bucket)
		r := recs[i]
		if r.Key != RecordKey(kind, place, b.Unix()/60) || r.Day != DayOf(b) || r.Minutes != w.minutes || r.Kind != kind || r.Weight != 0 {
			t.Errorf("record %d = {day %s, %d min, kind %v, weight %d}, want bucket %s, %d min",
				i, r.Day, r.Minutes, r.Kind, r.Weight, w.bucket, w.minutes)
		}
	}
}

func TestVenueRecords(t *testing.T) {
	p := DefaultParams()
	s := testSecret()
	for _, tc := range []struct {
		name           string
		arrive, depart string
		want           []span
	}{
		{"partial buckets", "2026-11-20T10:03:00Z", "2026-11-20T10:27:00Z",
			[]span{{"2026-11-20T10:00:00Z", 7}, {"2026-11-20T10:10:00Z", 10}, {"2026-11-20T10:20:00Z", 7}}},
		{"aligned", "2026-11-20T10:00:00Z", "2026-11-20T10:20:00Z",
			[]span{{"2026-11-20T10:00:00Z", 10}, {"2026-11-20T10:10:00Z", 10}}},
		{"midnight split", "2026-11-20T23:55:00Z", "2026-11-21T00:12:00Z",
			[]span{{"2026-11-20T23:50:00Z", 5}, {"2026-11-21T00:00:00Z", 10}, {"2026-11-21T00:10:00Z", 2}}},
		{"partial minute rounds up", "2026-11-20T10:03:30Z", "2026-11-20T10:04:10Z",
			[]span{{"2026-11-20T10:00:00Z", 1}}},
		{"one second each side of a boundary", "2026-11-20T10:09:59Z", "2026-11-20T10:10:01Z",
			[]span{{"2026-11-20T10:00:00Z", 1}, {"2026-11-20T10:10:00Z", 1}}},
		{"sub-second", "2026-11-20T10:09:59.5Z", "2026-11-20T10:10:00.25Z",
			[]span{{"2026-11-20T10:00:00Z", 1}, {"2026-11-20T10:10:00Z", 1}}},
		{"other time zone", "2026-11-21T00:55:00+01:00", "2026-11-21T01:05:00+01:00",
			[]span{{"2026-11-20T23:50:00Z", 5}, {"2026-11-21T00:00:00Z", 5}}},
		{"empty stay", "2026-11-20T10:03:00Z", "2026-11-20T10:03:00Z", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := VenueRecords(s, at(tc.arrive), at(tc.depart), p)
			if err != nil {
				t.Fatal(err)
			}
			checkSpans(t, recs, KindVenue, s[:], tc.want)
		})
	}

	day, err := VenueRecords(s, at("2026-11-20T06:00:00Z"), at("2026-11-21T06:00:00Z"), p)
	if err != nil || len(day) != 144 {
		t.Fatalf("24 h stay: %d records, %v", len(day), err)
	}
	p.BucketMinutes = 1440
	whole, err := VenueRecords(s, at("2026-11-20T23:00:00Z"), at("2026-11-21T01:00:00Z"), p)
	if err != nil || len(whole) != 2 || whole[0].Minutes != 60 || whole[1].Day != mustDay("2026-11-21") {
		t.Fatalf("day buckets: %+v, %v", whole, err)
	}
}

func TestVenueRecordsErrors(t *testing.T) {
	p := DefaultParams()
	s := testSecret()
	a := at("2026-11-20T10:00:00Z")
	bad := p
	bad.BucketMinutes = 7
	for _, tc := range []struct {
		name           string
		secret         [SecretSize]byte
		arrive, depart time.Time
		p              Params
		want           string
	}{
		{"zero secret", [SecretSize]byte{}, a, a.Add(time.Hour), p, "secret is zero"},
		{"departure first", s, a, a.Add(-time.Second), p, "before arrival"},
		{"too long", s, a, a.Add(24*time.Hour + time.Second), p, "exceeds"},
		{"before 1970", s, at("1969-12-31T23:00:00Z"), at("1969-12-31T23:30:00Z"), p, "outside"},
		{"bucket not dividing a day", s, a, a.Add(time.Hour), bad, "does not divide"},
	} {
		_, err := VenueRecords(tc.secret, tc.arrive, tc.depart, tc.p)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestVenueKeysShared(t *testing.T) {
	p := DefaultParams()
	s := testSecret()
	a, _ := VenueRecords(s, at("2026-11-20T10:01:00Z"), at("2026-11-20T10:05:00Z"), p)
	b, _ := VenueRecords(s, at("2026-11-20T10:07:00Z"), at("2026-11-20T10:09:00Z"), p)
	other := s
	other[0] ^= 1
	c, _ := VenueRecords(other, at("2026-11-20T10:01:00Z"), at("2026-11-20T10:05:00Z"), p)
	if a[0].Key != b[0].Key || a[0].Key == c[0].Key {
		t.Fatal("venue keys must depend on venue and bucket only")
	}
}

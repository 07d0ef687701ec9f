package core

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

// testVenue returns a venue with a fixed secret and every optional field set.
func testVenue() *Venue {
	v := &Venue{
		Name:       "Café Zürich",
		Address:    "Langstrasse 1, 8004 Zürich",
		Room:       "Upstairs",
		Category:   Restaurant,
		Risk:       Restaurant.DefaultRisk(),
		Stay:       90 * time.Minute,
		ValidFrom:  time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC),
		ValidUntil: time.Date(2025, 12, 31, 23, 59, 0, 0, time.UTC),
	}
	for i := range v.Secret {
		v.Secret[i] = byte(i)
	}
	return v
}

func mustMarshal(t testing.TB, v *Venue) []byte {
	t.Helper()
	b, err := v.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPayloadRoundTrip(t *testing.T) {
	full := testVenue()
	minimal := &Venue{Name: "X", Category: Other, Risk: 1, Stay: time.Minute}
	longest := testVenue()
	longest.Name = strings.Repeat("n", MaxNameLen)
	longest.Address = strings.Repeat("a", MaxAddressLen)
	longest.Room = strings.Repeat("r", MaxRoomLen)
	longest.Stay = MaxStay
	// Both validity varints take five bytes.
	longest.ValidFrom = time.Unix(1<<28*60, 0)
	longest.ValidUntil = time.Unix(1<<29*60, 0)
	for _, v := range []*Venue{full, minimal, longest} {
		b := mustMarshal(t, v)
		if len(b) > MaxPayloadSize {
			t.Errorf("%q: payload %d bytes > MaxPayloadSize %d", v.Name, len(b), MaxPayloadSize)
		}
		got, err := ParsePayload(b)
		if err != nil {
			t.Fatalf("%q: %v", v.Name, err)
		}
		if !got.ValidFrom.Equal(v.ValidFrom) || !got.ValidUntil.Equal(v.ValidUntil) {
			t.Errorf("%q: validity %v..%v, want %v..%v", v.Name, got.ValidFrom, got.ValidUntil, v.ValidFrom, v.ValidUntil)
		}
		got.ValidFrom, got.ValidUntil = v.ValidFrom, v.ValidUntil
		if *got != *v {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, v)
		}
		if b2 := mustMarshal(t, got); !bytes.Equal(b, b2) {
			t.Errorf("%q: re-encoding differs", v.Name)
		}
	}
	if got := len(mustMarshal(t, longest)); got != MaxPayloadSize {
		t.Errorf("longest payload is %d bytes, MaxPayloadSize is %d", got, MaxPayloadSize)
	}
}

// TestPayloadKnownAnswer pins the byte layout documented in docs/qr.md.
func TestPayloadKnownAnswer(t *testing.T) {
	v := &Venue{Name: "Bar", Room: "1", Category: Bar, Risk: 7, Stay: 130 * time.Minute}
	v.Secret[0], v.Secret[31] = 0xaa, 0xbb
	want := "01" + "02" + // version, flags (room)
		"aa" + strings.Repeat("00", 30) + "bb" + // secret
		"02" + "07" + // category bar, risk 7
		"8201" + // stay 130 minutes as uvarint
		"03426172" + // name "Bar"
		"0131" // room "1"
	if got := hex.EncodeToString(mustMarshal(t, v)); got != want {
		t.Errorf("payload\n got %s\nwant %s", got, want)
	}
}

func TestParsePayloadErrors(t *testing.T) {
	good := mustMarshal(t, testVenue())
	minimal := mustMarshal(t, &Venue{Name: "X", Category: Other, Risk: 1, Stay: time.Minute})
	// minimal layout: 0 version, 1 flags, 2..33 secret, 34 category,
	// 35 risk, 36 stay, 37 name length, 38 name.
	edit := func(b []byte, f func([]byte) []byte) []byte {
		return f(bytes.Clone(b))
	}
	set := func(b []byte, i int, x byte) []byte {
		return edit(b, func(c []byte) []byte { c[i] = x; return c })
	}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		// Framing.
		{"empty", nil, "truncated in version"},
		{"unknown version", set(minimal, 0, 2), "unknown payload version 2"},
		{"version zero", set(minimal, 0, 0), "unknown payload version 0"},
		{"unknown flag", set(minimal, 1, 0x80), "unknown flags"},
		{"truncated secret", minimal[:20], "truncated in secret"},
		{"truncated name", minimal[:len(minimal)-1], "truncated in name"},
		{"truncated validity", good[:len(good)-1], "truncated in validity"},
		{"trailing byte", append(bytes.Clone(good), 0), "1 trailing bytes"},
		{"oversized", make([]byte, MaxPayloadSize+1), "more than"},
		// Field values.
		{"category zero", set(minimal, 34, 0), "invalid category 0"},
		{"unknown category", set(minimal, 34, 200), "invalid category 200"},
		{"risk zero", set(minimal, 35, 0), "risk level 0"},
		{"risk nine", set(minimal, 35, 9), "risk level 9"},
		{"stay zero", set(minimal, 36, 0), "stay 0s"},
		{"stay too long", edit(minimal, func(c []byte) []byte {
			return append(append(c[:36:36], 0xa1, 0x0b), c[37:]...) // 1441 minutes
		}), "stay out of range"},
		{"non-minimal stay", edit(minimal, func(c []byte) []byte {
			return append(append(c[:36:36], 0x81, 0x00), c[37:]...)
		}), "non-minimal varint in stay"},
		{"empty name", edit(minimal, func(c []byte) []byte { c[37] = 0; return c[:38] }), "name is empty"},
		{"name too long", edit(minimal, func(c []byte) []byte {
			return append(append(c[:37], MaxNameLen+1), bytes.Repeat([]byte("n"), MaxNameLen+1)...)
		}), "name length 65 exceeds 64"},
		{"bad UTF-8", set(minimal, 38, 0xff), "name is not valid UTF-8"},
		{"control character", set(minimal, 38, '\n'), "control character"},
		// Optional fields.
		{"empty room", edit(minimal, func(c []byte) []byte { c[1] = flagRoom; return append(c, 0) }), "room is empty"},
		{"flag without field", set(minimal, 1, flagAddress), "truncated in address length"},
		{"empty validity", edit(minimal, func(c []byte) []byte { c[1] = flagValidity; return append(c, 5, 0) }), "validity period is empty"},
	}
	for _, tt := range tests {
		_, err := ParsePayload(tt.in)
		if err == nil {
			t.Errorf("%s: ParsePayload(%x) succeeded", tt.name, tt.in)
			continue
		}
		if !strings.HasPrefix(err.Error(), "qr: ") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %q, want it to contain %q", tt.name, err, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Venue)
		want string
	}{
		{"empty name", func(v *Venue) { v.Name = "" }, "name is empty"},
		{"long room", func(v *Venue) { v.Room = strings.Repeat("r", MaxRoomLen+1) }, "room is 33 bytes"},
		{"bad UTF-8 address", func(v *Venue) { v.Address = "\xc3" }, "address is not valid UTF-8"},
		{"tab in name", func(v *Venue) { v.Name = "a\tb" }, "control character"},
		{"zero category", func(v *Venue) { v.Category = 0 }, "invalid category"},
		{"risk", func(v *Venue) { v.Risk = MaxRisk + 1 }, "risk level"},
		{"fractional stay", func(v *Venue) { v.Stay = 90 * time.Second }, "whole number of minutes"},
		{"stay too long", func(v *Venue) { v.Stay = MaxStay + time.Minute }, "whole number of minutes"},
		{"half validity", func(v *Venue) { v.ValidUntil = time.Time{} }, "both a start and an end"},
		{"seconds in validity", func(v *Venue) { v.ValidFrom = v.ValidFrom.Add(time.Second) }, "whole minutes"},
		{"reversed validity", func(v *Venue) { v.ValidFrom, v.ValidUntil = v.ValidUntil, v.ValidFrom }, "ends before it starts"},
		{"validity before 1970", func(v *Venue) { v.ValidFrom = time.Unix(-60, 0) }, "outside the years"},
	}
	for _, tt := range tests {
		v := testVenue()
		tt.edit(v)
		err := v.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate() = %v, want error containing %q", tt.name, err, tt.want)
		}
		if _, err := v.MarshalBinary(); err == nil {
			t.Errorf("%s: MarshalBinary succeeded", tt.name)
		}
		if u := v.URL(""); u != "" {
			t.Errorf("%s: URL = %q, want empty", tt.name, u)
		}
	}
	var nilVenue *Venue
	if nilVenue.Validate() == nil {
		t.Error("nil venue is valid")
	}
}

func TestNewVenue(t *testing.T) {
	a, err := NewVenue("Gym One", Gym)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewVenue("Gym One", Gym)
	if err != nil {
		t.Fatal(err)
	}
	if a.Secret == b.Secret || a.Secret == [SecretSize]byte{} {
		t.Error("NewVenue does not draw fresh random secrets")
	}
	if a.Risk != Gym.DefaultRisk() || a.Stay != Gym.DefaultStay() {
		t.Errorf("defaults: risk %d stay %v", a.Risk, a.Stay)
	}
	if _, err := NewVenue("", Gym); err == nil {
		t.Error("NewVenue accepted an empty name")
	}
	if _, err := NewVenue("x", 0); err == nil {
		t.Error("NewVenue accepted category 0")
	}
}

func TestValidAt(t *testing.T) {
	v := testVenue()
	for _, tt := range []struct {
		t    time.Time
		want bool
	}{
		{v.ValidFrom.Add(-time.Second), false},
		{v.ValidFrom, true},
		{v.ValidUntil.Add(-time.Second), true},
		{v.ValidUntil, false},
	} {
		if got := v.ValidAt(tt.t); got != tt.want {
			t.Errorf("ValidAt(%v) = %v", tt.t, got)
		}
	}
	v.ValidFrom, v.ValidUntil = time.Time{}, time.Time{}
	if !v.ValidAt(time.Unix(0, 0)) {
		t.Error("venue without validity period rejected a time")
	}
}

func TestCategories(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Categories() {
		name := c.String()
		if seen[name] {
			t.Errorf("duplicate category name %q", name)
		}
		seen[name] = true
		got, err := ParseCategory(name)
		if err != nil || got != c {
			t.Errorf("ParseCategory(%q) = %v, %v", name, got, err)
		}
		if r := c.DefaultRisk(); r < MinRisk || r > MaxRisk {
			t.Errorf("%s: default risk %d", c, r)
		}
		if s := c.DefaultStay(); s < time.Minute || s > MaxStay || s%time.Minute != 0 {
			t.Errorf("%s: default stay %v", c, s)
		}
	}
	if len(seen) != 9 {
		t.Errorf("%d categories, want 9", len(seen))
	}
	if _, err := ParseCategory("casino"); err == nil {
		t.Error("ParseCategory accepted an unknown name")
	}
	if c, err := ParseCategory(""); err != nil || c != Other {
		t.Errorf("ParseCategory(\"\") = %v, %v", c, err)
	}
	var zero Category
	if zero.Valid() || zero.DefaultRisk() != 0 || zero.String() != "category(0)" {
		t.Error("zero category behaves as valid")
	}
	if _, err := zero.MarshalText(); err == nil {
		t.Error("zero category marshals")
	}
	var c Category
	if err := c.UnmarshalText([]byte("bar")); err != nil || c != Bar {
		t.Errorf("UnmarshalText(bar) = %v, %v", c, err)
	}
}

func TestParseURL(t *testing.T) {
	v := testVenue()
	u := v.URL("https://safetrace.example/")
	if !strings.HasPrefix(u, "https://safetrace.example/#v1.") {
		t.Fatalf("URL = %q", u)
	}
	if def := v.URL(""); !strings.HasPrefix(def, DefaultOrigin+"/#v1.") {
		t.Errorf("URL(\"\") = %q", def)
	}
	frag := u[strings.IndexByte(u, '#'):]
	for _, s := range []string{u, frag, frag[1:], "  " + u + "\n", v.URL("")} {
		got, err := ParseURL(s)
		if err != nil {
			t.Fatalf("ParseURL(%q): %v", s, err)
		}
		if got.Secret != v.Secret || got.Name != v.Name {
			t.Errorf("ParseURL(%q) = %+v", s, got)
		}
	}
	notVenue := []string{
		"", "hello", "https://example.com/", "https://example.com/#section",
		"ftp://example.com/#v1.AAAA", "WIFI:S:net;;", "#x1.AAAA", "v.AAAA",
	}
	for _, s := range notVenue {
		if _, err := ParseURL(s); !errors.Is(err, ErrNotVenue) {
			t.Errorf("ParseURL(%q) = %v, want ErrNotVenue", s, err)
		}
	}
	enc := frag[len("#v1."):]
	bad := []struct{ in, want string }{
		{"#v2." + enc, "unknown URL version \"v2\""},
		{"#v1." + enc + "=", "not base64url"},
		{"#v1." + enc[:10] + "\n" + enc[10:], "line break"},
		{"#v1." + strings.ReplaceAll(enc, "-", "+"), "not base64url"},
		{"#v1." + strings.Repeat("A", 400), "more than"},
		{"#v1." + enc[:len(enc)-3], "truncated"},
		{"#v1.AQ", "truncated in flags"},
	}
	if !strings.Contains(enc, "-") {
		bad[3].in = "#v1.+" + enc[1:]
	}
	for _, tt := range bad {
		_, err := ParseURL(tt.in)
		if err == nil || errors.Is(err, ErrNotVenue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseURL(%.40q) = %v, want error containing %q", tt.in, err, tt.want)
		}
	}
}

// TestParseURLNonCanonicalBase64 checks that padding bits must be zero, so
// two texts never decode to the same payload.
func TestParseURLNonCanonicalBase64(t *testing.T) {
	u := testVenue().URL("")
	enc := []byte(u[strings.IndexByte(u, '#')+len("#v1."):])
	if len(enc)%4 == 0 {
		t.Skip("payload length has no padding bits")
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, enc[len(enc)-1])
	enc[len(enc)-1] = alphabet[last|1] // set the lowest (padding) bit
	if _, err := ParseURL("#v1." + string(enc)); err == nil {
		t.Error("ParseURL accepted non-zero padding bits")
	}
}

func FuzzPayload(f *testing.F) {
	f.Add(mustMarshal(f, testVenue()))
	f.Add(mustMarshal(f, &Venue{Name: "X", Category: Other, Risk: 1, Stay: time.Minute}))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParsePayload(b)
		if err != nil {
			return
		}
		out, err := v.MarshalBinary()
		if err != nil {
			t.Fatalf("parsed venue does not marshal: %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("round trip changed the payload:\n in %x\nout %x", b, out)
		}
		back, err := ParseURL(v.URL("https://a.example"))
		if err != nil {
			t.Fatalf("URL round trip: %v", err)
		}
		if out2, _ := back.MarshalBinary(); !bytes.Equal(out2, b) {
			t.Fatalf("URL round trip changed the payload")
		}
	})
}

package visitor

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/png"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/qr/core"
	"github.com/safetrace/safetrace/trace"
)

func TestParams(t *testing.T) {
	m := manifest.DefaultParams()
	p, err := m.Trace()
	if err != nil {
		t.Fatal(err)
	}
	d := trace.DefaultParams()
	if !reflect.DeepEqual(p, d) {
		t.Errorf("params from the default manifest\n%+v\ndiffer from trace's defaults\n%+v", p, d)
	}
}

func TestParseVenue(t *testing.T) {
	v, err := core.NewVenue("Café Zentral", core.Category(1))
	if err != nil {
		t.Fatal(err)
	}
	v.Room = "Saal 2"
	got, err := ParseVenue(v.URL("http://localhost:8080"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != v.Name || got.Room != "Saal 2" || string(got.Secret) != string(v.Secret[:]) || got.StayMinutes <= 0 {
		t.Errorf("ParseVenue = %+v", got)
	}
	if _, err := ParseVenue("https://example.com/"); !errors.Is(err, core.ErrNotVenue) {
		t.Errorf("a foreign URL: %v, want ErrNotVenue", err)
	}
}

func TestRecordsAndPositive(t *testing.T) {
	p := trace.DefaultParams()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	sec := make([]byte, 32)
	sec[0] = 7
	cell := Cell(48.137, 11.575, 20, p)
	if cell == "" || Cell(48.137, 11.575, 500, p) != "" {
		t.Fatalf("accuracy filter: %q", cell)
	}
	h := History{
		Visits: []Visit{
			{Secret: sec, Arrive: now.Add(-2 * time.Hour).UnixMilli(), Depart: now.Add(-80 * time.Minute).UnixMilli()},
			{Secret: sec, Arrive: now.Add(-10 * time.Minute).UnixMilli()}, // still checked in
		},
		Cells:      []CellStay{{Time: now.Add(-time.Hour).UnixMilli(), Cell: cell}},
		Encounters: []Encounter{{ID: make([]byte, 16), Day: int32(trace.DayOf(now))}},
	}
	recs, err := Records(h, p)
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(recs)
	if s.ByKind["venue"] != 4 || s.ByKind["gps"] != 2 || s.ByKind["encounter"] != 1 || len(s.Days) != 1 {
		t.Errorf("summary %+v", s)
	}
	if n := len(Chunks(make([]trace.Record, client.MaxRecords+1))); n != 2 {
		t.Errorf("chunks: %d", n)
	}
	pos, err := Positive(h, make([]byte, 32), trace.DayOf(now), now, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range pos {
		if r.Weight == 0 {
			t.Fatalf("positive record of weight 0: %+v", r)
		}
	}
	if len(pos) <= len(recs) {
		t.Errorf("positive report of %d records, ordinary %d", len(pos), len(recs))
	}
}

func TestInterpret(t *testing.T) {
	st, err := Interpret(&client.Results{Results: []client.Result{{Days: []uint32{20000, 20001}, Values: []uint64{0, 1}}}})
	if err != nil || !st.Risk || len(st.Days) != 1 || st.Days[0] != trace.Day(20001).String() {
		t.Errorf("Interpret = %+v, %v", st, err)
	}
	st, _ = Interpret(&client.Results{})
	if st.Risk || len(st.VenueDays) != 0 {
		t.Error("no results means no risk")
	}
	// person + 2*venue: a venue warning alone is no personal risk.
	st, err = Interpret(&client.Results{Results: []client.Result{{Days: []uint32{20000, 20001, 20002}, Values: []uint64{2, 3, 0}}}})
	if err != nil || !st.Risk || fmt.Sprint(st.Days) != "["+trace.Day(20001).String()+"]" ||
		fmt.Sprint(st.VenueDays) != "["+trace.Day(20001).String()+" "+trace.Day(20000).String()+"]" {
		t.Errorf("Interpret with venue warnings = %+v, %v", st, err)
	}
	st, err = Interpret(&client.Results{Results: []client.Result{{Days: []uint32{20000}, Values: []uint64{2}}}})
	if err != nil || st.Risk || len(st.VenueDays) != 1 {
		t.Errorf("a venue warning alone: %+v, %v", st, err)
	}
	if _, err := Interpret(&client.Results{Results: []client.Result{{Days: []uint32{20000}, Values: []uint64{4}}}}); err == nil {
		t.Error("a value of 4 was read")
	}
}

func TestCodes(t *testing.T) {
	seed := make([]byte, 32)
	seed[3] = 9
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	code := MyCode(seed, now)
	e, err := ParseEncounter(code)
	if err != nil || e.Day != int32(trace.DayOf(now)) {
		t.Fatalf("ParseEncounter(%q) = %+v, %v", code, e, err)
	}
	if MyCode(seed, now.Add(24*time.Hour)) == code {
		t.Error("the code does not rotate daily")
	}
	url, err := QRDataURL(code, 4)
	if err != nil || len(url) < 100 {
		t.Fatalf("QRDataURL: %v", err)
	}
}

// TestQRDataURL decodes the PNG (with image/png) and checks every pixel
// against the symbol's modules, for a size whose rows end in part of a byte
// and one whose image data takes more than one stored deflate block.
func TestQRDataURL(t *testing.T) {
	for _, scale := range []int{3, 6, 20} {
		text := "st-enc1.AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
		url, err := QRDataURL(text, scale)
		if err != nil {
			t.Fatal(err)
		}
		b64, ok := strings.CutPrefix(url, "data:image/png;base64,")
		if !ok {
			t.Fatalf("not a PNG data URL: %.40s", url)
		}
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("scale %d: %v", scale, err)
		}
		sym, _ := core.Encode(text)
		side := sym.Size() * scale
		if img.Bounds() != image.Rect(0, 0, side, side) {
			t.Fatalf("scale %d: bounds %v, want %d square", scale, img.Bounds(), side)
		}
		bad := 0
		for y := range side {
			for x := range side {
				r, _, _, _ := img.At(x, y).RGBA()
				if dark := r == 0; dark != sym.Modules[y/scale][x/scale] {
					bad++
				}
			}
		}
		if bad > 0 {
			t.Errorf("scale %d: %d pixels differ from the symbol", scale, bad)
		}
		if got, err := core.DecodeImage(img); err != nil || got != text {
			t.Errorf("scale %d: decoded %q, %v", scale, got, err)
		}
	}
}

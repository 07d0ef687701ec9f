package posterkit

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/safetrace/safetrace/qr/core"
)

func TestMakeRoundTrip(t *testing.T) {
	m, err := New()
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Name: "Café Blau", Address: "Hauptstr. 1", Room: "Garten", Category: "bar", Stay: "45", Paper: "letter", Origin: "https://app.example/"}
	p, err := m.Make(req)
	if err != nil {
		t.Fatal(err)
	}
	v, err := core.ParseURL(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	if v.Name != req.Name || v.Room != "Garten" || v.Category != core.Bar || v.Stay != 45*time.Minute || !strings.HasPrefix(p.URL, "https://app.example/#v1.") {
		t.Errorf("venue %+v from %s", v, p.URL)
	}
	if !bytes.HasPrefix(p.PDF, []byte("%PDF-")) || !bytes.Contains(p.SVG, []byte("<svg")) {
		t.Error("PDF or SVG missing")
	}
	img, err := png.Decode(bytes.NewReader(p.PNG))
	if err != nil {
		t.Fatal(err)
	}
	text, err := core.DecodeImage(img)
	if err != nil || text != p.URL {
		t.Errorf("PNG decodes to %q, %v; want %q", text, err, p.URL)
	}
	if p.FileName != "cafe-blau-garten" {
		t.Errorf("file name %q", p.FileName)
	}

	// The same Maker keeps its secret; Renew changes it.
	p2, err := m.Make(req, "svg")
	if err != nil || p2.URL != p.URL || p2.PDF != nil || p2.PNG != nil {
		t.Errorf("second make: %v, url equal %v, pdf %d bytes", err, p2.URL == p.URL, len(p2.PDF))
	}
	m.Renew()
	p3, _ := m.Make(req, "svg")
	if p3.URL == p.URL {
		t.Error("Renew kept the secret")
	}
}

func TestMakeDefaults(t *testing.T) {
	m, _ := New()
	p, err := m.Make(Request{Name: "Office"}, "svg")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := core.ParseURL(p.URL)
	if v.Category != core.Other || v.Stay != core.Other.DefaultStay() || !strings.HasPrefix(p.URL, core.DefaultOrigin+"/#") {
		t.Errorf("defaults: %+v %s", v, p.URL)
	}
}

func TestMakeInvalid(t *testing.T) {
	m, _ := New()
	for _, tc := range []struct {
		req     Request
		formats []string
		want    string
	}{
		// missing or too long fields
		{Request{}, nil, "name is required"},
		{Request{Name: "  "}, nil, "name is required"},
		{Request{Name: strings.Repeat("x", 65)}, nil, "name"},
		// bad choices
		{Request{Name: "a", Category: "zoo"}, nil, "category"},
		{Request{Name: "a", Stay: "25h"}, nil, "stay"},
		{Request{Name: "a", Paper: "a3"}, nil, "paper"},
		{Request{Name: "a", Origin: "ftp://x"}, nil, "origin"},
		{Request{Name: "a"}, []string{"gif"}, "unknown format"},
	} {
		if _, err := m.Make(tc.req, tc.formats...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Make(%+v, %v) = %v, want error with %q", tc.req, tc.formats, err, tc.want)
		}
	}
}

func TestBatch(t *testing.T) {
	csv := "name,address,room,category,stay\nA,,,bar,\nB,Street 2,Hall,gym,30m\n"
	pdf, names, err := Batch([]byte(csv), "a4", "")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || len(names) != 2 || names[1] != "B" {
		t.Errorf("batch: %d bytes, names %q", len(pdf), names)
	}
	if pages := bytes.Count(pdf, []byte("/Type /Page\n")) + bytes.Count(pdf, []byte("/Type /Page ")); pages != 0 && pages != 2 {
		t.Errorf("%d pages", pages)
	}
	if _, _, err := Batch([]byte("name\nA\n"), "", ""); err == nil {
		t.Error("bad header accepted")
	}
}

func TestCategories(t *testing.T) {
	cs := Categories()
	if len(cs) != 9 || cs[1].Name != "bar" || cs[1].StayMinutes != 120 || cs[1].Risk != 7 {
		t.Errorf("%+v", cs)
	}
}

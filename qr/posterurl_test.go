package qr

import (
	"bytes"
	"strings"
	"testing"

	"github.com/safetrace/safetrace/qr/core"
	"github.com/safetrace/safetrace/qr/qrfile"
)

// TestPosterURL reads the URL from each kind of poster file.
func TestPosterURL(t *testing.T) {
	v, err := core.NewVenue("Café", core.Categories()[0])
	if err != nil {
		t.Fatal(err)
	}
	opt := &PosterOptions{Origin: "https://st.example", DPI: 100}
	url := v.URL(opt.Origin)
	var pdf, png bytes.Buffer
	if err := WritePDF(&pdf, v, opt); err != nil {
		t.Fatal(err)
	}
	if err := WritePNG(&png, v, opt); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"pdf": pdf.Bytes(), "png": png.Bytes(), "text": []byte(url + "\n")} {
		got, err := qrfile.PosterURL(b)
		if err != nil || got != url {
			t.Errorf("%s: %q, %v; want %q", name, got, err, url)
		}
	}
	for name, b := range map[string][]byte{"pdf without link": []byte("%PDF-1.4\n/URI (https://example.com/)"), "two lines": []byte("a\nb")} {
		if _, err := qrfile.PosterURL(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzPosterURL: no file makes the poster reader panic, and what it
// returns is one line.
func FuzzPosterURL(f *testing.F) {
	f.Add([]byte("%PDF-1.4\n<< /A << /S /URI /URI (https://st.example/#v1.AAAA) >> >>"))
	f.Add([]byte("https://st.example/#v1.AAAA\n"))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := qrfile.PosterURL(b)
		if err == nil && strings.ContainsAny(s, "\r\n") {
			t.Fatalf("%q: more than one line", s)
		}
	})
}

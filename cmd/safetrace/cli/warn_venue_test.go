package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/safetrace/safetrace/qr"
)

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"now": now, "now-3h": now.Add(-3 * time.Hour), "now+10m": now.Add(10 * time.Minute), "now-2d": now.AddDate(0, 0, -2),
		"2026-03-15T10:30:00Z": now.Add(-90 * time.Minute), "2026-03-15T10:30:00+01:00": now.Add(-150 * time.Minute),
		"2026-03-15T10:30": now.Add(-90 * time.Minute), "2026-03-15 10:30": now.Add(-90 * time.Minute),
	} {
		got, err := parseWhen(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "yesterday", "now3h", "now-", "now-xd", "2026-03-15", "10:30"} {
		if _, err := parseWhen(in, now); err == nil {
			t.Errorf("parseWhen(%q) accepted", in)
		}
	}
}

// TestPosterText reads the URL from each kind of poster file.
func TestPosterText(t *testing.T) {
	v, err := qr.NewVenue("Café", qr.Categories()[0])
	if err != nil {
		t.Fatal(err)
	}
	opt := &qr.PosterOptions{Origin: "https://st.example", DPI: 100}
	url := v.URL(opt.Origin)
	var pdf, png bytes.Buffer
	if err := qr.WritePDF(&pdf, v, opt); err != nil {
		t.Fatal(err)
	}
	if err := qr.WritePNG(&png, v, opt); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"pdf": pdf.Bytes(), "png": png.Bytes(), "text": []byte(url + "\n")} {
		got, err := posterText(b)
		if err != nil || got != url {
			t.Errorf("%s: %q, %v; want %q", name, got, err, url)
		}
	}
	for name, b := range map[string][]byte{"pdf without link": []byte("%PDF-1.4\n/URI (https://example.com/)"), "two lines": []byte("a\nb")} {
		if _, err := posterText(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"now", "now-3h", "now+1d", "2026-03-15T10:30:00Z", "2026-03-15T10:30", "now-99999999999d"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := parseWhen(s, now); err != nil && !strings.Contains(err.Error(), "want") {
			t.Fatalf("unclear error %v", err)
		}
	})
}

// FuzzPosterText: no file makes the poster reader panic, and what it
// returns is one line.
func FuzzPosterText(f *testing.F) {
	f.Add([]byte("%PDF-1.4\n<< /A << /S /URI /URI (https://st.example/#v1.AAAA) >> >>"))
	f.Add([]byte("https://st.example/#v1.AAAA\n"))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := posterText(b)
		if err == nil && strings.ContainsAny(s, "\r\n") {
			t.Fatalf("%q: more than one line", s)
		}
	})
}

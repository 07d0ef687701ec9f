package warnkit

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
	"github.com/safetrace/safetrace/wasm/internal/posterkit"
)

// TestWarn sends a venue warning from a poster made here and refuses the
// bad ones with the key the page shows.
func TestWarn(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	w, err := NewWarner(d.ManifestBytes)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	m, err := posterkit.New()
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Make(posterkit.Request{Name: "Café Warn", Room: "Hof", Category: "restaurant", Origin: "https://st.example"}, "pdf")
	if err != nil {
		t.Fatal(err)
	}
	venueCodes, _ := authority.IssueFor(d.Authority, authority.VenueWarning, 1, time.Hour)
	personal, _ := authority.IssueFor(d.Authority, authority.PositiveTest, 1, time.Hour)
	now := time.Now()
	ms := func(d time.Duration) int64 { return now.Add(d).UnixMilli() }
	ok := WarnRequest{From: ms(-3 * time.Hour), To: ms(-time.Hour), Code: venueCodes[0]}

	// From the PDF file.
	prev, recs, err := w.Prepare(ok, p.PDF, now)
	if err != nil || prev.Name != "Café Warn" || prev.Room != "Hof" || prev.Records != len(recs) || len(recs) < 12 {
		t.Fatalf("preview %+v, %d records, %v", prev, len(recs), err)
	}
	for _, c := range []struct {
		name string
		r    WarnRequest
		file []byte
		key  string
	}{
		{"personal QR code", WarnRequest{URL: "https://st.example/#p1.abc", From: ok.From, To: ok.To, Code: ok.Code}, nil, "notvenue"},
		{"not a poster", ok, []byte("%PDF-1.4 nothing"), "notvenue"},
		{"no code", WarnRequest{URL: p.URL, From: ok.From, To: ok.To}, nil, "nocode"},
		{"personal code", WarnRequest{URL: p.URL, From: ok.From, To: ok.To, Code: personal[0]}, nil, "personalcode"},
		{"made-up code", WarnRequest{URL: p.URL, From: ok.From, To: ok.To, Code: "08AB"}, nil, "badcode"},
		{"window too long", WarnRequest{URL: p.URL, From: ms(-26 * time.Hour), To: ms(-time.Hour), Code: ok.Code}, nil, "window"},
		{"empty window", WarnRequest{URL: p.URL, From: ok.To, To: ok.To, Code: ok.Code}, nil, "window"},
		{"future", WarnRequest{URL: p.URL, From: ms(time.Hour), To: ms(2 * time.Hour), Code: ok.Code}, nil, "window"},
	} {
		_, err := w.Send(context.Background(), c.r, c.file, now)
		var we *WarnError
		if !errors.As(err, &we) || we.Key != c.key {
			t.Errorf("%s: %v, want key %q", c.name, err, c.key)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ok.URL = p.URL
	if _, err := w.Send(ctx, ok, nil, now); err != nil {
		t.Fatalf("send: %v", err)
	}
	_, err = w.Send(ctx, ok, nil, now)
	if we := (*WarnError)(nil); !errors.As(err, &we) || we.Key != "code-used" {
		t.Errorf("the code again: %v, want code-used", err)
	}
}

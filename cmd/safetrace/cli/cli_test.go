package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safetrace/safetrace/qr/core"
)

// runCLI runs safetrace in-process and returns what it printed on stdout.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var buf bytes.Buffer
	old := stdout
	stdout = &buf
	defer func() { stdout = old }()
	err := Run(context.Background(), args)
	return buf.String(), err
}

func TestPosterAndDecode(t *testing.T) {
	dir := t.TempDir()
	for _, format := range []string{"png", "svg", "pdf"} {
		out := filepath.Join(dir, "poster."+format)
		_, err := runCLI(t, "poster", "--name", "Café Zürich", "--address", "Langstrasse 1", "--room", "Upstairs",
			"--category", "restaurant", "--stay", "1h30m", "--origin", "https://st.example", "--paper", "letter",
			"--format", format, "--out", out)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if fi, err := os.Stat(out); err != nil || fi.Size() < 1000 {
			t.Fatalf("%s: poster not written: %v", format, err)
		}
	}
	got, err := runCLI(t, "qr", "decode", filepath.Join(dir, "poster.png"))
	if err != nil {
		t.Fatal(err)
	}
	text, js, ok := strings.Cut(strings.TrimSuffix(got, "\n"), "\t")
	if !ok || strings.Count(got, "\n") != 1 {
		t.Fatalf("output %q, want one line of text, tab, JSON", got)
	}
	if !strings.HasPrefix(text, "https://st.example/#v1.") {
		t.Errorf("text %q", text)
	}
	var fields map[string]any
	if err := json.Unmarshal([]byte(js), &fields); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"name": "Café Zürich", "address": "Langstrasse 1", "room": "Upstairs",
		"category": "restaurant", "risk": 6.0, "stay_minutes": 90.0, "version": 1.0}
	for k, w := range want {
		if fields[k] != w {
			t.Errorf("%s = %v, want %v", k, fields[k], w)
		}
	}
	v, err := core.ParseURL(text)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := fields["secret"].(string); len(s) != 64 || v.Secret == [32]byte{} {
		t.Errorf("secret %q", s)
	}
}

func TestQRDecodeOtherCodesAndFailures(t *testing.T) {
	dir := t.TempDir()
	sym, err := core.Encode("WIFI:S:cafe;T:WPA;P:hunter2;;\nsecond line")
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, sym.Size()*6, sym.Size()*6))
	for y := range img.Rect.Dy() {
		for x := range img.Rect.Dx() {
			if !sym.Modules[y/6][x/6] {
				img.Pix[y*img.Stride+x] = 255
			}
		}
	}
	other := filepath.Join(dir, "wifi.png")
	blank := filepath.Join(dir, "blank.png")
	writePNG(t, other, img)
	writePNG(t, blank, image.NewGray(image.Rect(0, 0, 50, 50)))
	got, err := runCLI(t, "qr", "decode", blank, other, filepath.Join(dir, "missing.png"))
	if err == nil || !strings.Contains(err.Error(), "2 of 3 files") {
		t.Errorf("err = %v, want 2 of 3 files failing", err)
	}
	want := other + ": \"WIFI:S:cafe;T:WPA;P:hunter2;;\\nsecond line\"\n"
	if got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPosterBatch(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "venues.csv")
	os.WriteFile(csv, []byte("name,address,room,category,stay\nTown Hall,,Foyer,event,\nTown Hall,,Foyer,event,\nGym/Pool,,,gym,45m\n"), 0o644)
	out := filepath.Join(dir, "posters")
	got, err := runCLI(t, "poster", "--csv", csv, "--format", "png", "--out", out)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"town-hall-foyer.png", "town-hall-foyer-2.png", "gym-pool.png"}
	for _, n := range names {
		if !strings.Contains(got, filepath.Join(out, n)) {
			t.Errorf("output %q does not list %s", got, n)
		}
	}
	dec, err := runCLI(t, append([]string{"qr", "decode"}, filepath.Join(out, names[0]), filepath.Join(out, names[1]))...)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(dec), "\n")
	if len(lines) != 2 || lines[0] == lines[1] || !strings.Contains(lines[0], `"name":"Town Hall"`) {
		t.Errorf("decode output %q: want two venues with distinct secrets", dec)
	}
	pdf := filepath.Join(dir, "all.pdf")
	got, err = runCLI(t, "poster", "--csv", csv, "--out", pdf, "--paper", "letter")
	if err != nil || !strings.Contains(got, "3 posters") {
		t.Fatalf("batch pdf: %q, %v", got, err)
	}
	if b, _ := os.ReadFile(pdf); !bytes.HasPrefix(b, []byte("%PDF-")) || bytes.Count(b, []byte("/Type /Page\n")) != 3 {
		t.Errorf("batch PDF does not have 3 pages")
	}
}

func TestPosterErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "p.pdf")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"poster", "--format", "pdf", "--out", out}, "--name or --csv is required"},
		{[]string{"poster", "--name", "A", "--out", out}, "--format is required"},
		{[]string{"poster", "--name", "A", "--format", "gif", "--out", out}, "unknown format"},
		{[]string{"poster", "--name", "A", "--format", "pdf"}, "--out is required"},
		{[]string{"poster", "--name", "A", "--category", "casino", "--format", "pdf", "--out", out}, "unknown category"},
		{[]string{"poster", "--name", "A", "--stay", "2 days", "--format", "pdf", "--out", out}, "bad stay"},
		{[]string{"poster", "--name", "A", "--paper", "a3", "--format", "pdf", "--out", out}, "unknown paper"},
		{[]string{"poster", "--name", strings.Repeat("n", 65), "--format", "pdf", "--out", out}, "more than 64"},
		{[]string{"poster", "--name", "A", "--csv", "x.csv", "--out", out}, "either --name or --csv"},
		{[]string{"poster", "--bogus"}, "flag provided but not defined"},
		{[]string{"qr"}, "missing subcommand"},
		{[]string{"qr", "encode"}, "unknown subcommand"},
		{[]string{"qr", "decode"}, "no files"},
	}
	for _, tt := range tests {
		_, err := runCLI(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.args, err, tt.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed command left a poster behind")
	}
	help, err := runCLI(t, "poster", "-h")
	if err != nil || !strings.Contains(help, "restaurant, bar, office") {
		t.Errorf("poster -h: %q, %v", help, err)
	}
}

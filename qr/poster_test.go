package qr

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/safetrace/safetrace/qr/core"
	"github.com/safetrace/safetrace/qr/qrfile"
)

// tool returns the path of an external program the test needs. It skips the
// test when the program is missing, unless CI is set: CI machines must have
// it (.ci/run installs it). There are no external programs under WebAssembly.
func tool(t *testing.T, name string) string {
	t.Helper()
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skipf("%s cannot run under %s", name, runtime.GOOS)
	}
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("%s not installed (set CI=true to make this an error)", name)
		}
		t.Fatalf("%s not installed: %v", name, err)
	}
	return p
}

// zbar decodes a PNG file with zbarimg, an implementation independent of
// gozxing, and returns the text of its one QR code.
func zbar(t *testing.T, file string) string {
	t.Helper()
	out, err := exec.Command(tool(t, "zbarimg"), "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", file).Output()
	if err != nil {
		t.Fatalf("zbarimg %s: %v", file, err)
	}
	return strings.TrimSuffix(string(out), "\n")
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkDecodes decodes a rendered poster with our decoder and, when
// available, zbarimg, and checks both give the venue back.
func checkDecodes(t *testing.T, pngFile string, want *core.Venue, origin string) {
	t.Helper()
	f, err := os.Open(pngFile)
	if err != nil {
		t.Fatal(err)
	}
	text, err := qrfile.DecodeReader(f)
	f.Close()
	if err != nil {
		t.Fatalf("decode %s: %v", pngFile, err)
	}
	checkDecoded(t, text, want, origin)
	t.Run("zbarimg", func(t *testing.T) {
		checkDecoded(t, zbar(t, pngFile), want, origin)
	})
}

func checkDecoded(t *testing.T, text string, want *core.Venue, origin string) {
	t.Helper()
	if text != want.URL(origin) {
		t.Fatalf("decoded %q, want %q", text, want.URL(origin))
	}
	v, err := core.ParseURL(text)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := v.MarshalBinary()
	b, _ := want.MarshalBinary()
	if !bytes.Equal(a, b) {
		t.Fatalf("payload %x, want %x", a, b)
	}
}

func TestPosterPNG(t *testing.T) {
	for _, paper := range []Paper{A4, Letter} {
		t.Run(paper.String(), func(t *testing.T) {
			v := testVenue()
			var buf bytes.Buffer
			if err := WritePNG(&buf, v, &PosterOptions{Paper: paper, Origin: "https://st.example"}); err != nil {
				t.Fatal(err)
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			w, h := paper.size()
			if cfg.Width != int(w/25.4*150+0.5) || cfg.Height != int(h/25.4*150+0.5) {
				t.Errorf("PNG is %dx%d pixels", cfg.Width, cfg.Height)
			}
			checkDecodes(t, writeFile(t, "poster.png", buf.Bytes()), v, "https://st.example")
		})
	}
}

func TestPosterPDF(t *testing.T) {
	for _, paper := range []Paper{A4, Letter} {
		t.Run(paper.String(), func(t *testing.T) {
			v := testVenue()
			var buf bytes.Buffer
			if err := WritePDF(&buf, v, &PosterOptions{Paper: paper}); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
				t.Fatal("output is not a PDF")
			}
			for _, p := range renderPDF(t, buf.Bytes()) {
				checkDecodes(t, p, v, "")
			}
		})
	}
}

// renderPDF rasterises each page of a PDF with pdftoppm and returns the PNG
// files, checking their size against the paper.
func renderPDF(t *testing.T, pdf []byte) []string {
	t.Helper()
	pdftoppm := tool(t, "pdftoppm")
	in := writeFile(t, "poster.pdf", pdf)
	prefix := filepath.Join(filepath.Dir(in), "page")
	if out, err := exec.Command(pdftoppm, "-r", "100", "-png", in, prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	pages, _ := filepath.Glob(prefix + "*.png")
	if len(pages) == 0 {
		t.Fatal("pdftoppm produced no pages")
	}
	return pages
}

func TestPDFBatch(t *testing.T) {
	csv := "name,address,room,category,stay\n" +
		"Town Hall,Main Square 1,Council Room,office,2h\n" +
		"Town Hall,Main Square 1,Foyer,event,\n" +
		"Station Café,,,restaurant,45m\n"
	venues, err := ReadBatch(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WritePDFBatch(&buf, venues, &PosterOptions{Paper: Letter}); err != nil {
		t.Fatal(err)
	}
	pages := renderPDF(t, buf.Bytes())
	if len(pages) != len(venues) {
		t.Fatalf("%d pages for %d venues", len(pages), len(venues))
	}
	for i, p := range pages { // pdftoppm numbers pages in order
		checkDecodes(t, p, venues[i], "")
	}
	if err := WritePDFBatch(&buf, nil, nil); err == nil {
		t.Error("empty batch accepted")
	}
	if err := WritePDFBatch(&buf, []*core.Venue{venues[0], {}}, nil); err == nil || !strings.Contains(err.Error(), "venue 2") {
		t.Errorf("invalid venue in batch: %v", err)
	}
}

func TestPosterSVG(t *testing.T) {
	v := testVenue()
	v.Name = `Fish & Chips <"Best">`
	var buf bytes.Buffer
	if err := WriteSVG(&buf, v, &PosterOptions{Paper: Letter}); err != nil {
		t.Fatal(err)
	}
	svg := buf.String()
	if !strings.Contains(svg, `width="215.9mm" height="279.4mm"`) || !strings.Contains(svg, "Fish &amp; Chips &lt;&#34;Best&#34;&gt;") {
		t.Errorf("SVG header or escaping wrong:\n%.600s", svg)
	}
	// Our own rasteriser reads the code's path; it needs no external tools.
	img := rasterSVGCode(t, svg, 4)
	text, err := core.DecodeImage(img)
	if err != nil {
		t.Fatal(err)
	}
	checkDecoded(t, text, v, "")
	// An independent renderer draws the whole document.
	t.Run("rsvg-convert", func(t *testing.T) {
		in := writeFile(t, "poster.svg", buf.Bytes())
		out := filepath.Join(filepath.Dir(in), "poster.png")
		if b, err := exec.Command(tool(t, "rsvg-convert"), "--dpi-x", "100", "--dpi-y", "100", "-b", "white", "-o", out, in).CombinedOutput(); err != nil {
			t.Fatalf("rsvg-convert: %v\n%s", err, b)
		}
		checkDecodes(t, out, v, "")
	})
}

var (
	svgTransform = regexp.MustCompile(`transform="translate\(([0-9.]+) ([0-9.]+)\) scale\(([0-9.]+)\)"`)
	svgRun       = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
)

// rasterSVGCode draws the code path of a poster SVG at pxPerMM pixels per
// millimetre.
func rasterSVGCode(t *testing.T, svg string, pxPerMM float64) *image.Gray {
	t.Helper()
	m := svgTransform.FindStringSubmatch(svg)
	if m == nil {
		t.Fatal("no code path in SVG")
	}
	f := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
	x0, y0, mod := f(m[1]), f(m[2]), f(m[3])
	img := image.NewGray(image.Rect(0, 0, int(2*x0*pxPerMM)+int(100*mod*pxPerMM), int((y0+100*mod)*pxPerMM)+100))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	runs := svgRun.FindAllStringSubmatch(svg, -1)
	for _, r := range runs {
		x, y, n := f(r[1]), f(r[2]), f(r[3])
		for py := int((y0 + y*mod) * pxPerMM); py < int((y0+(y+1)*mod)*pxPerMM); py++ {
			for px := int((x0 + x*mod) * pxPerMM); px < int((x0+(x+n)*mod)*pxPerMM); px++ {
				if (image.Point{px, py}).In(img.Bounds()) {
					img.Pix[img.PixOffset(px, py)] = 0
				}
			}
		}
	}
	if len(runs) < 100 {
		t.Fatalf("only %d module runs in SVG", len(runs))
	}
	return img
}

func TestPosterErrors(t *testing.T) {
	var buf bytes.Buffer
	bad := &core.Venue{Name: "no secret or category"}
	for name, f := range map[string]func() error{
		"png": func() error { return WritePNG(&buf, bad, nil) },
		"svg": func() error { return WriteSVG(&buf, bad, nil) },
		"pdf": func() error { return WritePDF(&buf, bad, nil) },
		"dpi": func() error { return WritePNG(&buf, testVenue(), &PosterOptions{DPI: 5000}) },
	} {
		if err := f(); err == nil || !strings.HasPrefix(err.Error(), "qr: ") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if _, err := ParsePaper("a3"); err == nil {
		t.Error("ParsePaper accepted a3")
	}
}

// TestLongName checks that a long name is wrapped within the page.
func TestLongName(t *testing.T) {
	v := testVenue()
	v.Name = strings.Repeat("Wolkenkratzer", 3) + " Aussichtsplattform"
	v.Address = strings.Repeat("Street ", 18)
	l, err := newLayout(v, PosterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tx := range l.texts {
		w, _ := textWidth(tx.text, tx.bold, tx.size)
		if w > l.w-2*margin+0.01 {
			t.Errorf("line %q is %.1f mm wide", tx.text, w)
		}
	}
	if l.module*float64(l.symbol.Size()) < 100 {
		t.Errorf("code is only %.0f mm wide", l.module*float64(l.symbol.Size()))
	}
}

func TestSymbolLevel(t *testing.T) {
	s, err := core.Encode(testVenue().URL("https://safetrace.example"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Level != "H" {
		t.Errorf("poster code uses level %s, want H", s.Level)
	}
	for _, row := range s.Modules[:core.QuietZone] {
		for _, dark := range row {
			if dark {
				t.Fatal("quiet zone has a dark module")
			}
		}
	}
	long, err := core.Encode(strings.Repeat("x", 1000))
	if err != nil || long.Level != "Q" {
		t.Errorf("1000 bytes: level %v, %v", long, err)
	}
	if _, err := core.Encode(strings.Repeat("x", 3000)); err == nil {
		t.Error("3000 bytes encoded")
	}
}

func TestFileNames(t *testing.T) {
	vs := []*core.Venue{{Name: "Café Zürich", Room: "Upstairs"}, {Name: "café zürich", Room: "upstairs"}, {Name: "東京"}, {Name: "../../etc/passwd"}}
	got := FileNames(vs, ".png")
	want := []string{"cafe-zurich-upstairs.png", "cafe-zurich-upstairs-2.png", "venue.png", "etc-passwd.png"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("FileNames[%d] = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestReadBatchErrors(t *testing.T) {
	const header = "name,address,room,category,stay\n"
	tests := []struct{ in, want string }{
		{"", "csv is empty"},
		{"name,room\n", "wrong number of fields"},
		{"name,address,floor,category,stay\n", "csv header is"},
		{header, "no venues"},
		{header + ",,,,\n", "line 2: venue name is empty"},
		{header + "A,,,casino,\n", "line 2: unknown category"},
		{header + "A,,,bar,2 hours\n", "line 2: bad stay"},
		{header + "A,,,bar,25h\n", "line 2: stay"},
		{header + "A,,,bar,\nB,,,,90s\n", "line 3: stay"},
	}
	for _, tt := range tests {
		_, err := ReadBatch(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "qr: ") {
			t.Errorf("ReadBatch(%q) = %v, want error containing %q", tt.in, err, tt.want)
		}
	}
	vs, err := ReadBatch(strings.NewReader("\ufeffName,Address,Room,Category,Stay\nA, Street 1 ,,GYM,45\n"))
	if err != nil {
		t.Fatal(err)
	}
	if v := vs[0]; v.Address != "Street 1" || v.Category != core.Gym || v.Stay.Minutes() != 45 || v.Risk != core.Gym.DefaultRisk() {
		t.Errorf("venue %+v", v)
	}
}

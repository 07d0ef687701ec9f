package qr

import (
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// The texts of the photographed and scanned QR codes in gozxing's module
// (qrcode/testdata, taken from zxing's core/src/test/resources), as listed in
// gozxing's qrcode_reader_test.go.
var photoTexts = func() map[string]string {
	const (
		wiki  = "MEBKM:URL:http\\://en.wikipedia.org/wiki/Main_Page;;"
		nile  = "http://google.com/gwt/n?u=bluenile.com"
		sean  = "Sean Owen\r\nsrowen@google.com\r\n917-364-2918\r\nhttp://awesome-thoughts.com"
		mecrd = "MECARD:N:Sean Owen;TEL:+12125658770;EMAIL:srowen@google.com;;"
	)
	m := map[string]string{
		"version1.png":            "QR Code Symbol",
		"version1_mirrored.png":   "QR Code Symbol",
		"qrcode-1.jpg":            "MECARD:N:Google 411,;TEL:18665881077;;",
		"qrcode-2.jpg":            "UI office hours signup\r\nhttp://www.corp.google.com/sparrow/ui_office_hours/ \r\n",
		"qrcode-3.jpg":            mecrd,
		"qrcode-4.jpg":            mecrd,
		"structured_append_1.png": "ABCDEFGHIJKLMN",
		"structured_append_2.png": "OPQRSTUVWXYZ0123",
		"structured_append_3.png": "456789ABCDEFGHIJ",
		"structured_append_4.png": "KLMNOPQRSTUVWXYZ",
	}
	for i := 1; i <= 20; i++ {
		text := sean
		switch {
		case i <= 12:
			text = wiki
		case i <= 15:
			text = nile
		}
		m["qrcode-1/"+itoa(i)+".png"] = text
	}
	for i := 1; i <= 15; i++ {
		text := "1234567890"
		if i == 15 {
			text = "TEST"
		}
		m["qrcode-6/"+itoa(i)+".png"] = text
	}
	return m
}()

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// gozxingTestdata returns gozxing's qrcode/testdata directory in the module
// cache, or skips the test.
func gozxingTestdata(t testing.TB) string {
	version := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/makiuchi-d/gozxing" {
				version = d.Version
			}
		}
	}
	var caches []string
	if c := os.Getenv("GOMODCACHE"); c != "" {
		caches = append(caches, c)
	}
	if runtime.GOOS != "js" && runtime.GOOS != "wasip1" {
		if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
			caches = append(caches, strings.TrimSpace(string(out)))
		}
	}
	if p := os.Getenv("GOPATH"); p != "" {
		caches = append(caches, filepath.Join(filepath.SplitList(p)[0], "pkg", "mod"))
	}
	if h, err := os.UserHomeDir(); err == nil {
		caches = append(caches, filepath.Join(h, "go", "pkg", "mod"))
	}
	for _, c := range caches {
		if c == "" {
			continue
		}
		if version != "" && version != "(devel)" {
			dir := filepath.Join(c, "github.com", "makiuchi-d", "gozxing@"+version, "qrcode", "testdata")
			if _, err := os.Stat(dir); err == nil {
				return dir
			}
		}
		matches, _ := filepath.Glob(filepath.Join(c, "github.com", "makiuchi-d", "gozxing@*", "qrcode", "testdata"))
		if len(matches) > 0 {
			sort.Strings(matches)
			return matches[len(matches)-1]
		}
	}
	t.Skipf("gozxing's qrcode/testdata not found in the module cache (tried %q)", caches)
	return ""
}

func loadImage(t testing.TB, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// plainDecode is gozxing with its default options: Hybrid binarizer, no
// hints, one try.
func plainDecode(img image.Image) (string, bool) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", false
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		return "", false
	}
	return res.GetText(), true
}

type photoScore struct{ total, ours, plain int }

func scorePhotos(t testing.TB, verbose bool) photoScore {
	dir := gozxingTestdata(t)
	names := make([]string, 0, len(photoTexts))
	for name := range photoTexts {
		names = append(names, name)
	}
	sort.Strings(names)
	var s photoScore
	for _, name := range names {
		img := loadImage(t, filepath.Join(dir, filepath.FromSlash(name)))
		want := photoTexts[name]
		s.total++
		plain, ok := plainDecode(img)
		plainOK := ok && plain == want
		if plainOK {
			s.plain++
		}
		text, which, err := decodeAttempts(toGray(img), attempts)
		oursOK := err == nil && text == want
		if oursOK {
			s.ours++
		}
		if verbose {
			t.Logf("%-26s plain %-5v ours %-5v (attempt %d)", name, plainOK, oursOK, which)
		}
		if plainOK && !oursOK {
			t.Errorf("%s: plain gozxing reads it, our decoder does not (got %q, %v)", name, text, err)
		}
		if err == nil && text != want {
			t.Errorf("%s: decoded %q, want %q", name, text, want)
		}
	}
	return s
}

// TestPhotos compares the decoder with plain gozxing on the photographed and
// scanned codes shipped in gozxing's module.
func TestPhotos(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: decodes 45 photos twice")
	}
	s := scorePhotos(t, testing.Verbose())
	t.Logf("photos read: ours %d/%d, plain gozxing %d/%d", s.ours, s.total, s.plain, s.total)
	if s.ours <= s.plain {
		t.Errorf("our decoder reads %d photos, no more than plain gozxing's %d", s.ours, s.plain)
	}
}

func BenchmarkPhotos(b *testing.B) {
	var s photoScore
	for b.Loop() {
		s = scorePhotos(b, false)
	}
	b.ReportMetric(float64(s.ours), "ours-read")
	b.ReportMetric(float64(s.plain), "plain-read")
	b.ReportMetric(float64(s.total), "photos")
}

package scan

import (
	"errors"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	zxdec "github.com/makiuchi-d/gozxing/qrcode/decoder"
)

// render draws gozxing's encoding of text (with hints) as a Gray image,
// 4 pixels per module, mirrored left to right if mirror.
func render(t *testing.T, text string, hints map[gozxing.EncodeHintType]interface{}, mirror bool) *Gray {
	t.Helper()
	m, err := zxqr.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 0, 0, hints)
	if err != nil {
		t.Fatalf("encode %q: %v", text, err)
	}
	const scale = 4
	w, h := m.GetWidth(), m.GetHeight()
	g := newGray(w*scale, h*scale)
	for y := range h * scale {
		for x := range w * scale {
			mx := x / scale
			if mirror {
				mx = w - 1 - mx
			}
			v := byte(255)
			if m.Get(mx, y/scale) {
				v = 0
			}
			g.pix[y*g.w+x] = v
		}
	}
	return g
}

// TestReadLikeGozxing checks that read returns what gozxing's QR reader
// returns, for codes in each mode and character set it reads.
func TestReadLikeGozxing(t *testing.T) {
	utf8Hint := map[gozxing.EncodeHintType]interface{}{gozxing.EncodeHintType_CHARACTER_SET: "UTF-8"}
	for _, c := range []struct {
		text   string
		hints  map[gozxing.EncodeHintType]interface{}
		mirror bool
	}{
		{text: "0123456789012"},         // numeric
		{text: "HTTPS://ST.EXAMPLE/V1"}, // alphanumeric
		{text: "https://safetrace.example/v#st1.AbC-_x"},
		{text: "st-enc1.Zm9vYmFy"},
		{text: "café au lait"},                     // byte, ISO-8859-1 without an ECI
		{text: "Grüße, Zürich ✓", hints: utf8Hint}, // byte, ECI 26
		{text: "mirrored code", mirror: true},
	} {
		g := render(t, c.text, c.hints, c.mirror)
		a := Attempt{quick: true}
		bmp := binarize(g, a)
		got, err := read(bmp, nil)
		if err != nil || got != c.text {
			t.Errorf("read(%q) = %q, %v", c.text, got, err)
		}
		res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
		if err != nil || res.GetText() != got {
			t.Errorf("gozxing read %q as %v, %v; read: %q", c.text, res, err, got)
		}
	}
}

// TestReadErrors checks that a located code read returns an error that is
// no gozxing.NotFoundException, and an empty image one that is.
func TestReadErrors(t *testing.T) {
	g := newGray(200, 200)
	for i := range g.pix {
		g.pix[i] = 255
	}
	_, err := read(binarize(g, Attempt{}), nil)
	var nf gozxing.NotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("an empty image: %v, want a NotFoundException", err)
	}
	// Kanji is not read: located, not read.
	g = render(t, "漢字", map[gozxing.EncodeHintType]interface{}{gozxing.EncodeHintType_CHARACTER_SET: "Shift_JIS"}, false)
	_, err = read(binarize(g, Attempt{}), nil)
	if err == nil || errors.As(err, &nf) || !errors.Is(err, errCharset) {
		t.Errorf("a Kanji code: %v, want errCharset", err)
	}
}

// bitWriter builds a data bit stream.
type bitWriter struct {
	b []byte
	n int
}

func (w *bitWriter) put(v, bits int) *bitWriter {
	for i := bits - 1; i >= 0; i-- {
		if w.n%8 == 0 {
			w.b = append(w.b, 0)
		}
		if v>>i&1 == 1 {
			w.b[w.n/8] |= 0x80 >> (w.n % 8)
		}
		w.n++
	}
	return w
}

func TestDataText(t *testing.T) {
	v1, _ := zxdec.Version_GetVersionForNumber(1)
	v10, _ := zxdec.Version_GetVersionForNumber(10)
	alnum := func(s string) int { // value of a pair
		i := func(c byte) int {
			for j := range len(alphanumeric) {
				if alphanumeric[j] == c {
					return j
				}
			}
			panic(c)
		}
		return 45*i(s[0]) + i(s[1])
	}
	for _, c := range []struct {
		name    string
		bits    *bitWriter
		version *zxdec.Version
		want    string
		err     bool
	}{
		{"numeric 1234567", new(bitWriter).put(modeNumeric, 4).put(7, 10).put(123, 10).put(456, 10).put(7, 4).put(0, 4), v1, "1234567", false},
		{"numeric 12, version 10", new(bitWriter).put(modeNumeric, 4).put(2, 12).put(12, 7), v10, "12", false},
		{"numeric group out of range", new(bitWriter).put(modeNumeric, 4).put(3, 10).put(1000, 10), v1, "", true},
		{"FNC1 alphanumeric", new(bitWriter).put(modeFNC1First, 4).put(modeAlphanumeric, 4).put(7, 9).
			put(alnum("A%"), 11).put(alnum("B%"), 11).put(alnum("%C"), 11).put(36, 6), v1, "A\x1dB%C ", false},
		{"alphanumeric value out of range", new(bitWriter).put(modeAlphanumeric, 4).put(1, 9).put(45, 6), v1, "", true},
		{"structured append, then bytes", new(bitWriter).put(modeAppend, 4).put(0x0102, 16).put(modeByte, 4).put(2, 8).put('h', 8).put('i', 8), v1, "hi", false},
		{"ECI 3 (Latin-1)", new(bitWriter).put(modeECI, 4).put(3, 8).put(modeByte, 4).put(1, 8).put(0xe9, 8), v1, "é", false},
		{"ECI 26 (UTF-8), two-byte designator", new(bitWriter).put(modeECI, 4).put(0x80, 8).put(26, 8).put(modeByte, 4).put(2, 8).put(0xc3, 8).put(0xa9, 8), v1, "é", false},
		{"ECI 25 (UTF-16BE)", new(bitWriter).put(modeECI, 4).put(25, 8).put(modeByte, 4).put(2, 8).put(0x20, 8).put(0xac, 8), v1, "€", false},
		{"ECI 20 (Shift_JIS)", new(bitWriter).put(modeECI, 4).put(20, 8).put(modeByte, 4).put(1, 8).put('a', 8), v1, "", true},
		{"bytes past the end", new(bitWriter).put(modeByte, 4).put(9, 8).put('a', 8), v1, "", true},
		{"unknown mode", new(bitWriter).put(0x6, 4).put(0, 8), v1, "", true},
		{"Kanji", new(bitWriter).put(modeKanji, 4).put(1, 8).put(0, 13), v1, "", true},
	} {
		got, err := dataText(c.bits.b, c.version)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("%s: dataText = %q, %v; want %q, error %v", c.name, got, err, c.want, c.err)
		}
	}
}

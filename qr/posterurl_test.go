package qr

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
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

// hugePNG is a PNG's signature and header declaring a w x h image, without
// pixel data: a few bytes that would decode to gigabytes.
func hugePNG(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8-bit RGBA
	chunk := append([]byte("IHDR"), ihdr...)
	b := []byte("\x89PNG\r\n\x1a\n")
	b = binary.BigEndian.AppendUint32(b, uint32(len(ihdr)))
	b = append(b, chunk...)
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
	return append(b, make([]byte, 64)...)
}

// hugeJPEG is a JPEG's start, JFIF marker and frame header declaring a
// w x h image.
func hugeJPEG(w, h uint16) []byte {
	b := []byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10}
	b = append(b, "JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"...)
	b = append(b, 0xff, 0xc0, 0x00, 0x11, 0x08)
	b = binary.BigEndian.AppendUint16(b, h)
	b = binary.BigEndian.AppendUint16(b, w)
	b = append(b, 3, 1, 0x22, 0, 2, 0x11, 0, 3, 0x11, 0)
	return append(b, make([]byte, 64)...)
}

// TestAttackPosterFile: hostile poster files are refused on their own,
// before they cost memory: images whose headers declare more pixels than
// the decoders take (decompression bombs), files over the size limit, a
// PDF of links that are not venues', a long text.
func TestAttackPosterFile(t *testing.T) {
	for name, b := range map[string][]byte{
		"png 100000x100000": hugePNG(100000, 100000),
		"png 1x2^31-1":      hugePNG(1, 1<<31-1),
		"jpeg 65000x65000":  hugeJPEG(65000, 65000),
	} {
		_, err := qrfile.PosterURL(b)
		if err == nil || !strings.Contains(err.Error(), "too large") {
			t.Errorf("%s: %v; want refused as too large", name, err)
		}
		if _, err := qrfile.DecodeReader(bytes.NewReader(b)); err == nil || !strings.Contains(err.Error(), "too large") {
			t.Errorf("%s, DecodeReader: %v; want refused as too large", name, err)
		}
	}
	big := make([]byte, qrfile.MaxFileSize+1)
	copy(big, "https://st.example/#v1.AAAA")
	if _, err := qrfile.PosterURL(big); err == nil {
		t.Error("PosterURL accepted a file over MaxFileSize")
	}
	if _, err := qrfile.ReadPosterURL(bytes.NewReader(big)); err == nil {
		t.Error("ReadPosterURL accepted a file over MaxFileSize")
	}
	links := []byte("%PDF-1.4\n" + strings.Repeat("<< /S /URI /URI (https://example.com/) >>\n", 100000))
	if _, err := qrfile.PosterURL(links); err == nil {
		t.Error("accepted a PDF of links that are not venues'")
	}
	if _, err := qrfile.PosterURL([]byte(strings.Repeat("x", 5000))); err == nil {
		t.Error("accepted a 5000-character line")
	}
}

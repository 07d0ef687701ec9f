package visitor

import (
	"encoding/base64"
	"encoding/binary"
	"hash/adler32"
	"hash/crc32"
	"time"

	"github.com/safetrace/safetrace/qr/core"
	"github.com/safetrace/safetrace/trace"
)

// MyCode returns the text of the user's personal encounter code at now: it
// rotates every UTC day (trace.EncounterCode).
func MyCode(seed []byte, now time.Time) string {
	var s [trace.SeedSize]byte
	copy(s[:], seed)
	return trace.EncounterCode(s, trace.DayOf(now))
}

// ParseEncounter reads another person's personal code.
func ParseEncounter(text string) (Encounter, error) {
	id, d, err := trace.ParseEncounterCode(text)
	if err != nil {
		return Encounter{}, err
	}
	return Encounter{ID: id[:], Day: int32(d)}, nil
}

// QRDataURL renders text as a QR code (core.Encode, with its quiet zone),
// scale pixels per module, as a PNG data URL for an <img>.
func QRDataURL(text string, scale int) (string, error) {
	sym, err := core.Encode(text)
	if err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(symbolPNG(sym, scale)), nil
}

// symbolPNG encodes sym, scale pixels per module, as a black and white PNG
// (1 bit per pixel) whose image data is stored uncompressed: a few KB for a
// personal code, and it spares the module image/png's encoder and
// compress/flate's compressor (about 50 KB of the gzipped module).
func symbolPNG(sym *core.Symbol, scale int) []byte {
	side := sym.Size() * scale
	stride := 1 + (side+7)/8 // the filter type byte (0, none), then the pixels
	raw := make([]byte, side*stride)
	for y := range side {
		row := raw[y*stride+1 : (y+1)*stride]
		for x := range side {
			if !sym.Modules[y/scale][x/scale] {
				row[x/8] |= 0x80 >> (x % 8) // a light pixel is 1
			}
		}
	}
	// The zlib stream: a header, stored deflate blocks of at most 65535
	// bytes, the Adler-32 of the data.
	z := []byte{0x78, 0x01}
	for rest := raw; ; {
		n := min(len(rest), 0xffff)
		final := byte(0)
		if n == len(rest) {
			final = 1
		}
		z = append(z, final, byte(n), byte(n>>8), ^byte(n), ^byte(n>>8))
		z = append(z, rest[:n]...)
		if rest = rest[n:]; final == 1 {
			break
		}
	}
	z = binary.BigEndian.AppendUint32(z, adler32.Checksum(raw))
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(side))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(side))
	ihdr = append(ihdr, 1, 0, 0, 0, 0) // 1 bit, grayscale, deflate, filter method 0, no interlace
	b := []byte("\x89PNG\r\n\x1a\n")
	b = pngChunk(b, "IHDR", ihdr)
	b = pngChunk(b, "IDAT", z)
	return pngChunk(b, "IEND", nil)
}

// pngChunk appends a PNG chunk: length, type, data, CRC-32 of type and data.
func pngChunk(b []byte, typ string, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	start := len(b)
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
}

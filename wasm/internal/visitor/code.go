package visitor

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
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
	n := sym.Size()
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	for y := range n * scale {
		for x := range n * scale {
			c := color.Gray{Y: 255}
			if sym.Modules[y/scale][x/scale] {
				c.Y = 0
			}
			img.SetGray(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

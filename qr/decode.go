package qr

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeReader reads JPEG camera photos
	_ "image/png"
	"io"

	"github.com/safetrace/safetrace/qr/core"
	"github.com/safetrace/safetrace/qr/internal/scan"
)

// maxPixels bounds the images the decoders accept (see qr/core).
const maxPixels = scan.MaxPixels

// maxFileSize bounds the image files DecodeReader reads.
const maxFileSize = 64 << 20

// DecodeReader decodes a PNG or JPEG image from r and returns the text of
// the QR code it shows; see core.DecodeImage.
func DecodeReader(r io.Reader) (string, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return "", fmt.Errorf("qr: read image: %w", err)
	}
	if len(data) > maxFileSize {
		return "", fmt.Errorf("qr: image file larger than %d bytes", maxFileSize)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("qr: read image: %w", err)
	}
	if cfg.Width*cfg.Height > maxPixels {
		return "", fmt.Errorf("qr: image of %dx%d pixels is too large", cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("qr: read image: %w", err)
	}
	return core.DecodeImage(img)
}

// Package qrfile reads QR codes and poster links from files: PNG and JPEG
// images and the posters' PDFs. It is apart from package qr (the poster
// renderers) and qr/core (the payload and the decoder, which the visitor
// app links without any image file decoder), so that each browser module
// links only what it uses.
package qrfile

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeReader reads JPEG camera photos
	_ "image/png"
	"io"
	"regexp"
	"strings"

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
		return "", fmt.Errorf("qrfile: read image: %w", err)
	}
	if len(data) > maxFileSize {
		return "", fmt.Errorf("qrfile: image file larger than %d bytes", maxFileSize)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("qrfile: read image: %w", err)
	}
	if cfg.Width*cfg.Height > maxPixels {
		return "", fmt.Errorf("qrfile: image of %dx%d pixels is too large", cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("qrfile: read image: %w", err)
	}
	return core.DecodeImage(img)
}

// pdfURI finds the link annotations of a PDF (a poster's QR code links to
// its URL).
var pdfURI = regexp.MustCompile(`/URI\s*\(([^()\\]*)\)`)

// PosterURL returns the venue URL of a poster file's contents: the link of
// a PDF made by qr.WritePDF, the QR code of a PNG or JPEG image (a rendered
// poster or a photo of one), or otherwise the file's text, one line. It
// does not check that the text is a venue's URL; core.ParseURL does.
func PosterURL(b []byte) (string, error) {
	if len(b) > maxFileSize {
		return "", fmt.Errorf("qrfile: file larger than %d bytes", maxFileSize)
	}
	if bytes.HasPrefix(b, []byte("%PDF")) {
		for _, m := range pdfURI.FindAllSubmatch(b, -1) {
			if _, err := core.ParseURL(string(m[1])); err == nil {
				return string(m[1]), nil
			}
		}
		return "", errors.New("qrfile: a PDF without a venue poster's link")
	}
	if _, _, err := image.DecodeConfig(bytes.NewReader(b)); err == nil {
		return DecodeReader(bytes.NewReader(b))
	}
	text := strings.TrimSpace(string(b))
	if len(text) > 4096 || strings.ContainsAny(text, "\r\n") {
		return "", errors.New("qrfile: neither a poster (PDF, PNG, JPEG) nor a one-line URL")
	}
	return text, nil
}

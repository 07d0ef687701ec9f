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

// MaxFileSize bounds the files DecodeReader and ReadPosterURL read, and
// the contents PosterURL accepts.
const MaxFileSize = 64 << 20

// readFile reads r to its end, refusing more than MaxFileSize bytes.
func readFile(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("qrfile: file larger than %d bytes", MaxFileSize)
	}
	return data, nil
}

// DecodeReader decodes a PNG or JPEG image from r and returns the text of
// the QR code it shows; see core.DecodeImage.
func DecodeReader(r io.Reader) (string, error) {
	data, err := readFile(r)
	if err != nil {
		return "", fmt.Errorf("qrfile: read image: %w", err)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("qrfile: read image: %w", err)
	}
	return decodeImage(data, cfg)
}

// decodeImage decodes the image data whose header is cfg, refusing one
// of more than maxPixels before its pixels are decoded (a small file can
// declare a huge image).
func decodeImage(data []byte, cfg image.Config) (string, error) {
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
	if len(b) > MaxFileSize {
		return "", fmt.Errorf("qrfile: file larger than %d bytes", MaxFileSize)
	}
	if bytes.HasPrefix(b, []byte("%PDF")) {
		for _, m := range pdfURI.FindAllSubmatch(b, -1) {
			if _, err := core.ParseURL(string(m[1])); err == nil {
				return string(m[1]), nil
			}
		}
		return "", errors.New("qrfile: a PDF without a venue poster's link")
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(b)); err == nil {
		return decodeImage(b, cfg)
	}
	text := strings.TrimSpace(string(b))
	if len(text) > 4096 || strings.ContainsAny(text, "\r\n") {
		return "", errors.New("qrfile: neither a poster (PDF, PNG, JPEG) nor a one-line URL")
	}
	return text, nil
}

// ReadPosterURL is PosterURL of the contents of r, of at most MaxFileSize
// bytes.
func ReadPosterURL(r io.Reader) (string, error) {
	b, err := readFile(r)
	if err != nil {
		return "", err
	}
	return PosterURL(b)
}

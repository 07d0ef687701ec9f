package core

import (
	"fmt"
	"image"

	"github.com/safetrace/safetrace/qr/internal/scan"
)

// ErrNotFound is returned by the decoders when no attempt finds a readable
// QR code in the image.
var ErrNotFound = scan.ErrNotFound

// maxPixels bounds the images the decoders accept, so that a hostile file
// cannot exhaust memory (64 megapixels: a large phone photo).
const maxPixels = scan.MaxPixels

// DecodeImage returns the text of a QR code in img. The code may be any QR
// code, not only a SafeTrace poster's; the text is returned as decoded, and
// [ParseURL] tells whether it is a venue. DecodeImage tries, in turn, the
// strategies listed in docs/qr.md (two binarizers, contrast stretching,
// rescaling, smoothing, rotation and inversion) and returns [ErrNotFound] if
// none finds a code.
func DecodeImage(img image.Image) (string, error) {
	b := img.Bounds()
	if b.Dx()*b.Dy() > maxPixels {
		return "", fmt.Errorf("qr: image of %dx%d pixels is too large", b.Dx(), b.Dy())
	}
	return scan.Decode(scan.ToGray(img))
}

// DecodeRGBA returns the text of a QR code in a camera frame of width x
// height pixels, 4 bytes per pixel in R, G, B, A order, rows stride bytes
// apart (as in an HTML canvas's ImageData, where stride = 4*width). Alpha is
// ignored. pix is only read. It runs the whole chain of [DecodeImage]; a
// camera loop should use a [Scanner], which spreads it over frames.
func DecodeRGBA(pix []byte, width, height, stride int) (string, error) {
	g, err := scan.FromRGBA(pix, width, height, stride)
	if err != nil {
		return "", err
	}
	return scan.Decode(g)
}

// A Scanner decodes a stream of camera frames at a small cost per frame
// without a code. Each frame gets the cheapest attempt of the chain; a frame
// where it located a code (the finder patterns) but could not read it gets
// the whole chain; every other frame gets one of the expensive attempts in
// turn, so a code that only a later attempt reads is still found within 11
// frames. The zero Scanner is ready to use; it is not safe for concurrent
// use.
type Scanner struct {
	s scan.Schedule
}

// DecodeRGBA is the package's [DecodeRGBA] for the next frame of the stream.
func (s *Scanner) DecodeRGBA(pix []byte, width, height, stride int) (string, error) {
	g, err := scan.FromRGBA(pix, width, height, stride)
	if err != nil {
		return "", err
	}
	return s.s.Decode(g)
}

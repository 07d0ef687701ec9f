package qr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeReader reads JPEG camera photos
	_ "image/png"
	"io"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// ErrNotFound is returned by the decoders when no attempt finds a readable
// QR code in the image.
var ErrNotFound = errors.New("qr: no QR code found")

// maxPixels bounds the images the decoders accept, so that a hostile file
// cannot exhaust memory (64 megapixels: a large phone photo).
const maxPixels = 64 << 20

// maxFileSize bounds the image files DecodeReader reads.
const maxFileSize = 64 << 20

// DecodeReader decodes a PNG or JPEG image from r and returns the text of
// the QR code it shows; see [DecodeImage].
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
	return DecodeImage(img)
}

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
	return decodeGray(toGray(img))
}

// DecodeRGBA returns the text of a QR code in a camera frame of width x
// height pixels, 4 bytes per pixel in R, G, B, A order, rows stride bytes
// apart (as in an HTML canvas's ImageData, where stride = 4*width). Alpha is
// ignored. pix is only read. See [DecodeImage] for the strategy.
func DecodeRGBA(pix []byte, width, height, stride int) (string, error) {
	if width <= 0 || height <= 0 || stride < 4*width {
		return "", fmt.Errorf("qr: bad frame geometry %dx%d, stride %d", width, height, stride)
	}
	if width*height > maxPixels {
		return "", fmt.Errorf("qr: frame of %dx%d pixels is too large", width, height)
	}
	if len(pix) < (height-1)*stride+4*width {
		return "", fmt.Errorf("qr: frame buffer has %d bytes, want %d", len(pix), (height-1)*stride+4*width)
	}
	g := newGray(width, height)
	for y := 0; y < height; y++ {
		row := pix[y*stride : y*stride+4*width]
		out := g.pix[y*width : (y+1)*width]
		for x := range out {
			p := row[4*x : 4*x+3 : 4*x+3]
			out[x] = luma(uint32(p[0]), uint32(p[1]), uint32(p[2]))
		}
	}
	return decodeGray(g)
}

// luma is the ITU-R BT.601 luminance of 8-bit R, G, B values, in fixed point.
func luma(r, g, b uint32) byte {
	return byte((19595*r + 38470*g + 7471*b + 1<<15) >> 16)
}

// An attempt is one way of looking at the image: a preparation of the
// luminance plane and a binarizer.
type attempt struct {
	prep   string // key of preps; "" for the image as it is
	global bool   // GlobalHistogram binarizer instead of Hybrid
	invert bool   // look for light modules on a dark ground
	quick  bool   // without the TRY_HARDER hint
}

// preps are the image preparations. Each returns nil when it does not apply
// (for instance halving an image that is already small).
var preps = map[string]func(*gray) *gray{
	"stretch": (*gray).stretch,
	"half":    (*gray).half,
	"double":  (*gray).double,
	"smooth":  (*gray).smooth,
	"rotate":  (*gray).rotate,
}

// attempts are tried in order; cheap and usually successful ones first. The
// order was chosen on zxing's photographed test images and on degraded
// posters (see decode_photos_test.go and degrade_test.go).
var attempts = []attempt{
	{quick: true},
	{},
	{global: true},
	{prep: "stretch"},
	{prep: "half"},
	{prep: "half", global: true},
	{prep: "smooth"},
	{prep: "smooth", global: true},
	{prep: "double"},
	{prep: "rotate"},
	{prep: "stretch", global: true},
	{invert: true},
}

// hints ask gozxing to spend more time looking for the finder patterns.
var hints = map[gozxing.DecodeHintType]interface{}{
	gozxing.DecodeHintType_TRY_HARDER: true,
}

func decodeGray(g *gray) (string, error) {
	text, _, err := decodeAttempts(g, attempts)
	return text, err
}

// decodeAttempts runs the attempts in order and also returns the index of the
// one that succeeded. Each preparation is computed at most once.
func decodeAttempts(g *gray, as []attempt) (string, int, error) {
	prepared := map[string]*gray{"": g}
	for i, a := range as {
		img, ok := prepared[a.prep]
		if !ok {
			img = preps[a.prep](g)
			prepared[a.prep] = img
		}
		if img == nil {
			continue
		}
		if text, ok := decodeOnce(img, a); ok {
			return text, i, nil
		}
	}
	return "", -1, ErrNotFound
}

func decodeOnce(g *gray, a attempt) (string, bool) {
	src, err := gozxing.NewPlanarYUVLuminanceSource(g.pix, g.w, g.h, 0, 0, g.w, g.h, false)
	if err != nil {
		return "", false
	}
	if a.invert {
		src = src.Invert()
	}
	var bin gozxing.Binarizer
	if a.global {
		bin = gozxing.NewGlobalHistgramBinarizer(src)
	} else {
		bin = gozxing.NewHybridBinarizer(src)
	}
	bmp, err := gozxing.NewBinaryBitmap(bin)
	if err != nil {
		return "", false
	}
	h := hints
	if a.quick {
		h = nil
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, h)
	if err != nil {
		return "", false
	}
	return res.GetText(), true
}

// Package scan is the QR decoder behind qr.DecodeImage, qr.DecodeRGBA and
// the camera's core.Scanner: a chain of attempts (an image preparation and
// a binarizer each) run over gozxing's QR detector and decoder (read.go).
// It is internal so that the poster package qr and the light package
// qr/core share one implementation.
package scan

import (
	"errors"
	"fmt"

	"github.com/makiuchi-d/gozxing"
)

// ErrNotFound is returned when no attempt finds a readable QR code.
var ErrNotFound = errors.New("qr: no QR code found")

// MaxPixels bounds the images the decoders accept, so that a hostile file
// cannot exhaust memory (64 megapixels: a large phone photo).
const MaxPixels = 64 << 20

// FromRGBA converts a frame of width x height RGBA pixels, rows stride
// bytes apart, to luminance. Alpha is ignored; pix is only read.
func FromRGBA(pix []byte, width, height, stride int) (*Gray, error) {
	if width <= 0 || height <= 0 || stride < 4*width {
		return nil, fmt.Errorf("qr: bad frame geometry %dx%d, stride %d", width, height, stride)
	}
	if width*height > MaxPixels {
		return nil, fmt.Errorf("qr: frame of %dx%d pixels is too large", width, height)
	}
	if len(pix) < (height-1)*stride+4*width {
		return nil, fmt.Errorf("qr: frame buffer has %d bytes, want %d", len(pix), (height-1)*stride+4*width)
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
	return g, nil
}

// luma is the ITU-R BT.601 luminance of 8-bit R, G, B values, in fixed point.
func luma(r, g, b uint32) byte {
	return byte((19595*r + 38470*g + 7471*b + 1<<15) >> 16)
}

// An Attempt is one way of looking at the image: a preparation of the
// luminance plane and a binarizer.
type Attempt struct {
	prep   string // key of preps; "" for the image as it is
	global bool   // GlobalHistogram binarizer instead of Hybrid
	invert bool   // look for light modules on a dark ground
	quick  bool   // without the TRY_HARDER hint
}

// preps are the image preparations. Each returns nil when it does not apply
// (for instance halving an image that is already small).
var preps = map[string]func(*Gray) *Gray{
	"stretch": (*Gray).stretch,
	"half":    (*Gray).half,
	"double":  (*Gray).double,
	"smooth":  (*Gray).smooth,
	"rotate":  (*Gray).rotate,
}

// Attempts are tried in order; cheap and usually successful ones first. The
// order was chosen on zxing's photographed test images and on degraded
// posters (see qr's decode_photos_test.go and degrade_test.go).
var Attempts = []Attempt{
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

// Decode runs the whole chain.
func Decode(g *Gray) (string, error) {
	text, _, err := DecodeAttempts(g, Attempts)
	return text, err
}

// DecodeAttempts runs the attempts in order and also returns the index of
// the one that succeeded. Each preparation and binarization is computed at
// most once.
func DecodeAttempts(g *Gray, as []Attempt) (string, int, error) {
	p := newPrepared(g)
	for i, a := range as {
		if text, _ := p.try(a); text != "" {
			return text, i, nil
		}
	}
	return "", -1, ErrNotFound
}

// prepared caches the preparations and binarized bitmaps of one frame.
type prepared struct {
	g       *Gray
	images  map[string]*Gray
	bitmaps map[binKey]*gozxing.BinaryBitmap
}

type binKey struct {
	prep           string
	global, invert bool
}

func newPrepared(g *Gray) *prepared {
	return &prepared{g: g, images: map[string]*Gray{"": g}, bitmaps: map[binKey]*gozxing.BinaryBitmap{}}
}

// try runs attempt a. It returns the text, or "" and whether the reader got
// past the finder patterns (it located a code but could not read it).
func (p *prepared) try(a Attempt) (text string, located bool) {
	k := binKey{a.prep, a.global, a.invert}
	bmp, ok := p.bitmaps[k]
	if !ok {
		img, ok := p.images[a.prep]
		if !ok {
			img = preps[a.prep](p.g)
			p.images[a.prep] = img
		}
		if img != nil {
			bmp = binarize(img, a)
		}
		p.bitmaps[k] = bmp
	}
	if bmp == nil {
		return "", false
	}
	h := hints
	if a.quick {
		h = nil
	}
	text, err := read(bmp, h)
	if err != nil {
		var nf gozxing.NotFoundException
		return "", !errors.As(err, &nf)
	}
	return text, true
}

// binarize returns g's bitmap under a's binarizer, or nil.
func binarize(g *Gray, a Attempt) *gozxing.BinaryBitmap {
	src, err := gozxing.NewPlanarYUVLuminanceSource(g.pix, g.w, g.h, 0, 0, g.w, g.h, false)
	if err != nil {
		return nil
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
		return nil
	}
	return bmp
}

// A Schedule spreads the chain over camera frames. Every frame gets the
// cheapest attempt (the image as it is, Hybrid binarizer, without
// TRY_HARDER) and one more: every other frame the GlobalHistogram binarizer
// (cheap, and it reads most codes a camera sees), every fourth frame
// TRY_HARDER on the first attempt's bitmap, and the frames between the other,
// expensive attempts in turn. A frame where an attempt located a code (found
// its finder patterns) but could not read it gets the whole chain at once.
// So a poster in view is read within two frames, and one that only a late
// attempt reads within 4*(len(Attempts)-3) frames (36: 12 s at 3 frames a second).
type Schedule struct {
	n int // frames seen
}

// Decode looks at the next frame.
func (s *Schedule) Decode(g *Gray) (string, error) {
	p := newPrepared(g)
	n := s.n
	s.n++
	second := 2
	switch n % 4 {
	case 1:
		second = 1
	case 3:
		second = 3 + (n/4)%(len(Attempts)-3)
	}
	for _, i := range []int{0, second} {
		text, located := p.try(Attempts[i])
		if text != "" {
			return text, nil
		}
		if located {
			text, _, err := DecodeAttempts(g, Attempts)
			return text, err
		}
	}
	return "", ErrNotFound
}

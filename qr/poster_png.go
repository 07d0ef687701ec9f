package qr

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"

	"github.com/safetrace/safetrace/qr/core"
	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// PosterImage renders v's poster as a grayscale image at opt.DPI dots per
// inch (150 by default). Each module of the code is a whole number of pixels
// wide, so the code is drawn without blurred edges.
func PosterImage(v *core.Venue, opt *PosterOptions) (*image.Gray, error) {
	o := opt.orDefault()
	dpi := o.DPI
	if dpi == 0 {
		dpi = 150
	}
	if dpi < 36 || dpi > 600 {
		return nil, fmt.Errorf("qr: resolution %d dpi outside 36..600", dpi)
	}
	l, err := newLayout(v, o)
	if err != nil {
		return nil, err
	}
	px := float64(dpi) / 25.4 // pixels per millimetre
	img := image.NewGray(image.Rect(0, 0, int(math.Round(l.w*px)), int(math.Round(l.h*px))))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)

	n := l.symbol.Size()
	mod := int(l.module * px) // whole pixels per module, rounded down
	if mod < 1 {
		return nil, fmt.Errorf("qr: %d dpi is too coarse for a %d-module code", dpi, n)
	}
	side := mod * n
	x0 := int(math.Round((l.qrX+l.module*float64(n)/2)*px)) - side/2
	y0 := int(math.Round((l.qrY+l.module*float64(n)/2)*px)) - side/2
	l.symbol.Runs(func(y, x, run int) {
		r := image.Rect(x0+x*mod, y0+y*mod, x0+(x+run)*mod, y0+(y+1)*mod)
		draw.Draw(img, r, image.Black, image.Point{}, draw.Src)
	})

	faceMu.Lock()
	defer faceMu.Unlock()
	for _, t := range l.texts {
		fc, err := face(t.bold, t.size, float64(dpi))
		if err != nil {
			return nil, err
		}
		d := font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: fc}
		w := d.MeasureString(t.text)
		d.Dot = fixed.Point26_6{
			X: fixed.Int26_6(t.x*px*64) - w/2,
			Y: fixed.Int26_6(t.y * px * 64),
		}
		d.DrawString(t.text)
	}
	return img, nil
}

// WritePNG writes v's poster to w as a grayscale PNG; see [PosterImage].
func WritePNG(w io.Writer, v *core.Venue, opt *PosterOptions) error {
	img, err := PosterImage(v, opt)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(w, img); err != nil {
		return fmt.Errorf("qr: write png: %w", err)
	}
	return nil
}

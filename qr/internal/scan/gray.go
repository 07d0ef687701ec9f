package scan

import (
	"image"
	"image/color"
)

// A Gray is an 8-bit luminance plane, the decoders' working image.
type Gray struct {
	pix  []byte
	w, h int
}

func newGray(w, h int) *Gray { return &Gray{pix: make([]byte, w*h), w: w, h: h} }

// ToGray converts any image to luminance, with fast paths for the types
// image/png, image/jpeg and camera frames produce.
func ToGray(img image.Image) *Gray {
	b := img.Bounds()
	g := newGray(b.Dx(), b.Dy())
	switch m := img.(type) {
	case *image.Gray:
		for y := 0; y < g.h; y++ {
			copy(g.pix[y*g.w:(y+1)*g.w], m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.YCbCr:
		for y := 0; y < g.h; y++ {
			copy(g.pix[y*g.w:(y+1)*g.w], m.Y[m.YOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.RGBA:
		for y := 0; y < g.h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < g.w; x++ {
				g.pix[y*g.w+x] = luma(uint32(row[4*x]), uint32(row[4*x+1]), uint32(row[4*x+2]))
			}
		}
	default:
		for y := 0; y < g.h; y++ {
			for x := 0; x < g.w; x++ {
				// Transparent pixels count as white paper.
				c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				a := uint32(c.A)
				blend := func(v uint8) uint32 { return (uint32(v)*a + 255*(255-a)) / 255 }
				g.pix[y*g.w+x] = luma(blend(c.R), blend(c.G), blend(c.B))
			}
		}
	}
	return g
}

// stretch maps the 1st to 99th percentile of luminance onto the full range,
// for dim or washed-out photos. It returns nil if the image is flat.
func (g *Gray) stretch() *Gray {
	var hist [256]int
	for _, v := range g.pix {
		hist[v]++
	}
	lo, hi := percentile(&hist, len(g.pix)/100), percentile(&hist, len(g.pix)-len(g.pix)/100)
	if hi <= lo+8 || (lo < 8 && hi > 247) {
		return nil
	}
	var lut [256]byte
	for i := range lut {
		v := (i - lo) * 255 / (hi - lo)
		lut[i] = byte(min(max(v, 0), 255))
	}
	out := newGray(g.w, g.h)
	for i, v := range g.pix {
		out.pix[i] = lut[v]
	}
	return out
}

func percentile(hist *[256]int, rank int) int {
	n := 0
	for i, c := range hist {
		n += c
		if n > rank {
			return i
		}
	}
	return 255
}

// half shrinks the image to half size by averaging 2x2 blocks; large photos
// decode faster and their noise averages out. It returns nil for images too
// small to shrink.
func (g *Gray) half() *Gray {
	if g.w < 400 || g.h < 400 {
		return nil
	}
	out := newGray(g.w/2, g.h/2)
	for y := 0; y < out.h; y++ {
		r0, r1 := g.pix[2*y*g.w:], g.pix[(2*y+1)*g.w:]
		for x := 0; x < out.w; x++ {
			s := int(r0[2*x]) + int(r0[2*x+1]) + int(r1[2*x]) + int(r1[2*x+1])
			out.pix[y*out.w+x] = byte((s + 2) / 4)
		}
	}
	return out
}

// double enlarges the image to twice its size with bilinear interpolation,
// which helps codes whose modules are only a pixel or two wide. It returns
// nil for images that are already large.
func (g *Gray) double() *Gray {
	if g.w > 1200 || g.h > 1200 {
		return nil
	}
	out := newGray(2*g.w, 2*g.h)
	at := func(x, y int) int { return int(g.pix[min(y, g.h-1)*g.w+min(x, g.w-1)]) }
	for y := 0; y < out.h; y++ {
		sy, fy := y/2, y%2
		for x := 0; x < out.w; x++ {
			sx, fx := x/2, x%2
			v := at(sx, sy) * (2 - fx) * (2 - fy)
			v += at(sx+1, sy) * fx * (2 - fy)
			v += at(sx, sy+1) * (2 - fx) * fy
			v += at(sx+1, sy+1) * fx * fy
			out.pix[y*out.w+x] = byte((v + 2) / 4)
		}
	}
	return out
}

// smooth applies a 3x3 box blur, which removes speckle noise and JPEG
// artefacts that break up finder patterns.
func (g *Gray) smooth() *Gray {
	out := newGray(g.w, g.h)
	for y := 0; y < g.h; y++ {
		y0, y1 := max(y-1, 0), min(y+1, g.h-1)
		for x := 0; x < g.w; x++ {
			x0, x1 := max(x-1, 0), min(x+1, g.w-1)
			s, n := 0, 0
			for yy := y0; yy <= y1; yy++ {
				for xx := x0; xx <= x1; xx++ {
					s += int(g.pix[yy*g.w+xx])
					n++
				}
			}
			out.pix[y*g.w+x] = byte(s / n)
		}
	}
	return out
}

// rotate turns the image a quarter turn clockwise. The detector scans rows,
// so a code whose finder patterns were missed across may be found along.
func (g *Gray) rotate() *Gray {
	out := newGray(g.h, g.w)
	for y := 0; y < g.h; y++ {
		for x := 0; x < g.w; x++ {
			out.pix[x*out.w+(g.h-1-y)] = g.pix[y*g.w+x]
		}
	}
	return out
}

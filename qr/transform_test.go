package qr

import (
	"bytes"
	"image"
	"image/draw"
	"image/jpeg"
	"math"
	"math/rand/v2"
)

// Image degradations that imitate a phone camera looking at a printed poster,
// written with the standard library only.

// grayOf converts img to *image.Gray.
func grayOf(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok {
		return g
	}
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
	return g
}

// sample returns the bilinearly interpolated value at (x, y), relative to
// the image's top left corner; outside the image is white.
func sample(g *image.Gray, x, y float64) uint8 {
	b := g.Bounds()
	x, y = x+float64(b.Min.X), y+float64(b.Min.Y)
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	fx, fy := x-float64(x0), y-float64(y0)
	at := func(x, y int) float64 {
		if !(image.Point{x, y}.In(b)) {
			return 255
		}
		return float64(g.Pix[g.PixOffset(x, y)])
	}
	v := at(x0, y0)*(1-fx)*(1-fy) + at(x0+1, y0)*fx*(1-fy) +
		at(x0, y0+1)*(1-fx)*fy + at(x0+1, y0+1)*fx*fy
	return uint8(math.Round(v))
}

// rotate turns img by deg degrees about its centre, onto a canvas large
// enough to hold it.
func rotate(img image.Image, deg float64) *image.Gray {
	g := grayOf(img)
	w, h := float64(g.Bounds().Dx()), float64(g.Bounds().Dy())
	s, c := math.Sincos(deg * math.Pi / 180)
	ow := int(math.Abs(w*c) + math.Abs(h*s) + 1)
	oh := int(math.Abs(w*s) + math.Abs(h*c) + 1)
	out := image.NewGray(image.Rect(0, 0, ow, oh))
	for y := 0; y < oh; y++ {
		for x := 0; x < ow; x++ {
			dx, dy := float64(x)-float64(ow)/2, float64(y)-float64(oh)/2
			sx, sy := dx*c+dy*s+w/2, -dx*s+dy*c+h/2
			out.Pix[y*out.Stride+x] = sample(g, sx, sy)
		}
	}
	return out
}

// blur applies a box blur of the given radius, passes times (three passes
// approximate a Gaussian).
func blur(img image.Image, radius, passes int) *image.Gray {
	g := grayOf(img)
	b := g.Bounds()
	w, h := b.Dx(), b.Dy()
	cur := append([]uint8(nil), g.Pix...)
	tmp := make([]uint8, len(cur))
	pass := func(src, dst []uint8, step, n, lines, lineStep int) {
		for l := 0; l < lines; l++ {
			base := l * lineStep
			for i := 0; i < n; i++ {
				s, c := 0, 0
				for k := max(i-radius, 0); k <= min(i+radius, n-1); k++ {
					s += int(src[base+k*step])
					c++
				}
				dst[base+i*step] = uint8(s / c)
			}
		}
	}
	for p := 0; p < passes; p++ {
		pass(cur, tmp, 1, w, h, g.Stride)
		pass(tmp, cur, g.Stride, h, w, 1)
	}
	return &image.Gray{Pix: cur, Stride: g.Stride, Rect: b}
}

// noise adds Gaussian noise of the given standard deviation, from a fixed seed.
func noise(img image.Image, sigma float64, seed uint64) *image.Gray {
	g := grayOf(img)
	out := image.NewGray(g.Bounds())
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i, v := range g.Pix {
		out.Pix[i] = clamp(float64(v) + r.NormFloat64()*sigma)
	}
	return out
}

// lighting maps luminance into [lo, hi] and darkens it from left to right by
// up to shade, like a poster in a dim corridor.
func lighting(img image.Image, lo, hi, shade float64) *image.Gray {
	g := grayOf(img)
	out := image.NewGray(g.Bounds())
	w := float64(g.Bounds().Dx())
	for y := 0; y < g.Bounds().Dy(); y++ {
		for x := 0; x < g.Bounds().Dx(); x++ {
			v := float64(g.Pix[y*g.Stride+x])/255*(hi-lo) + lo
			out.Pix[y*out.Stride+x] = clamp(v * (1 - shade*float64(x)/w))
		}
	}
	return out
}

// jpegRoundTrip compresses img as a JPEG of the given quality and decodes it.
func jpegRoundTrip(img image.Image, quality int) image.Image {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		panic(err)
	}
	out, err := jpeg.Decode(&buf)
	if err != nil {
		panic(err)
	}
	return out
}

// warp maps img onto a w x h canvas so that its corners (top left, top right,
// bottom right, bottom left) land on the points dst, as a camera held at an
// angle sees a flat sheet.
func warp(img image.Image, w, h int, dst [4][2]float64) *image.Gray {
	g := grayOf(img)
	sw, sh := float64(g.Bounds().Dx()), float64(g.Bounds().Dy())
	src := [4][2]float64{{0, 0}, {sw, 0}, {sw, sh}, {0, sh}}
	hm := homography(dst, src) // output pixel -> source pixel
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			d := hm[6]*fx + hm[7]*fy + 1
			sx := (hm[0]*fx + hm[1]*fy + hm[2]) / d
			sy := (hm[3]*fx + hm[4]*fy + hm[5]) / d
			out.Pix[y*out.Stride+x] = sample(g, sx-0.5, sy-0.5)
		}
	}
	return out
}

// homography returns the 8 coefficients of the projective map taking each
// point from[i] to to[i], by Gaussian elimination.
func homography(from, to [4][2]float64) [8]float64 {
	var a [8][9]float64
	for i := 0; i < 4; i++ {
		x, y, u, v := from[i][0], from[i][1], to[i][0], to[i][1]
		a[2*i] = [9]float64{x, y, 1, 0, 0, 0, -u * x, -u * y, u}
		a[2*i+1] = [9]float64{0, 0, 0, x, y, 1, -v * x, -v * y, v}
	}
	for c := 0; c < 8; c++ {
		p := c
		for r := c + 1; r < 8; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		for r := 0; r < 8; r++ {
			if r != c {
				f := a[r][c] / a[c][c]
				for k := c; k < 9; k++ {
					a[r][k] -= f * a[c][k]
				}
			}
		}
	}
	var h [8]float64
	for i := range h {
		h[i] = a[i][8] / a[i][i]
	}
	return h
}

func clamp(v float64) uint8 {
	return uint8(math.Round(math.Min(math.Max(v, 0), 255)))
}

// toRGBA returns img as an RGBA frame, as a browser canvas delivers it.
func toRGBA(img image.Image) *image.RGBA {
	out := image.NewRGBA(img.Bounds())
	draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
	return out
}

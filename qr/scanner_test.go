package qr

import (
	"image"
	"image/color"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/safetrace/safetrace/qr/core"
)

// sceneFrame is a 640x480 camera frame without a code: a noisy, shaded
// scene with edges and blobs, the worst case for a decoder that tries hard.
func sceneFrame() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	r := rand.New(rand.NewPCG(1, 2))
	for y := range 480 {
		for x := range 640 {
			v := 90 + x/8 + 40*((x/37+y/29)%2) + int(r.NormFloat64()*12)
			v = min(max(v, 0), 255)
			img.Set(x, y, color.RGBA{uint8(v), uint8(v), uint8(v * 9 / 10), 255})
		}
	}
	return img
}

// TestScanner checks the camera loop's decoder: every degraded poster that
// the whole chain reads is read by a Scanner within 4*len(attempts) frames,
// and the camera frame at once.
func TestScanner(t *testing.T) {
	frame, want := cameraFrame(t)
	var s core.Scanner
	if got, err := s.DecodeRGBA(frame.Pix, 640, 480, frame.Stride); err != nil || got != want {
		t.Fatalf("Scanner.DecodeRGBA = %q, %v", got, err)
	}
	poster, want := posterForCamera(t, 100)
	for _, m := range []image.Image{rotate(poster, 45), blur(poster, 2, 3), noise(poster, 40, 1),
		lighting(poster, 40, 110, 0.5), jpegRoundTrip(poster, 10)} {
		f := toRGBA(m)
		if text, err := core.DecodeImage(m); err != nil || text != want {
			continue
		}
		var s core.Scanner
		s.DecodeRGBA(sceneFrame().Pix, 640, 480, 2560) // start the rotation anywhere
		read := false
		for range 4 * len(attempts) {
			if got, err := s.DecodeRGBA(f.Pix, f.Rect.Dx(), f.Rect.Dy(), f.Stride); err == nil && got == want {
				read = true
				break
			}
		}
		if !read {
			t.Errorf("the scanner did not read a poster the whole chain reads")
		}
	}
	if _, err := s.DecodeRGBA(frame.Pix[:100], 640, 480, 2560); err == nil {
		t.Error("short buffer: no error")
	}
}

// TestScannerFrameCost checks that frames without a code are cheap: the
// median of a whole rotation is at most a third of the whole chain.
func TestScannerFrameCost(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	f := sceneFrame()
	t0 := time.Now()
	if _, err := core.DecodeRGBA(f.Pix, 640, 480, f.Stride); err != core.ErrNotFound {
		t.Fatalf("scene: %v", err)
	}
	whole := time.Since(t0)
	var s core.Scanner
	var ms []float64
	for range 4 * len(attempts) {
		t0 := time.Now()
		s.DecodeRGBA(f.Pix, 640, 480, f.Stride)
		ms = append(ms, float64(time.Since(t0).Microseconds())/1000)
	}
	slices.Sort(ms)
	med := ms[len(ms)/2]
	t.Logf("frame without a code: whole chain %.1f ms, scanner median %.1f ms, max %.1f ms", float64(whole.Microseconds())/1000, med, ms[len(ms)-1])
	if med > float64(whole.Microseconds())/1000/3 {
		t.Errorf("scanner median %.1f ms, whole chain %v", med, whole)
	}
}

func BenchmarkScanFrameNoCode(b *testing.B) {
	f := sceneFrame()
	var s core.Scanner
	for b.Loop() {
		s.DecodeRGBA(f.Pix, 640, 480, f.Stride)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/frame")
}

func BenchmarkDecodeFrameNoCode(b *testing.B) {
	f := sceneFrame()
	for b.Loop() {
		core.DecodeRGBA(f.Pix, 640, 480, f.Stride)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/frame")
}

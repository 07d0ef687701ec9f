package qr

import (
	"image"
	"testing"

	"github.com/safetrace/safetrace/qr/core"
)

// posterForCamera renders a poster at a low resolution, as a phone camera
// a metre away sees it.
func posterForCamera(t testing.TB, dpi int) (*image.Gray, string) {
	v := testVenue()
	img, err := PosterImage(v, &PosterOptions{Origin: "https://safetrace.example", DPI: dpi})
	if err != nil {
		t.Fatal(err)
	}
	return img, v.URL("https://safetrace.example")
}

// TestDegradedPosters checks that posters stay readable after the damage a
// phone camera does: rotation, blur, noise, perspective, dim light, JPEG.
func TestDegradedPosters(t *testing.T) {
	poster, want := posterForCamera(t, 100)
	tilt := func(img image.Image) image.Image {
		w, h := 640, 900
		return warp(img, w, h, [4][2]float64{{90, 40}, {560, 90}, {600, 860}, {40, 800}})
	}
	tests := []struct {
		name string
		f    func(image.Image) image.Image
	}{
		{"rotate 17", func(m image.Image) image.Image { return rotate(m, 17) }},
		{"rotate 45", func(m image.Image) image.Image { return rotate(m, 45) }},
		{"rotate 180", func(m image.Image) image.Image { return rotate(m, 180) }},
		{"blur", func(m image.Image) image.Image { return blur(m, 2, 3) }},
		{"noise", func(m image.Image) image.Image { return noise(m, 40, 1) }},
		{"perspective", tilt},
		{"dim and shaded", func(m image.Image) image.Image { return lighting(m, 40, 110, 0.5) }},
		{"jpeg 10", func(m image.Image) image.Image { return jpegRoundTrip(m, 10) }},
		{"everything", func(m image.Image) image.Image {
			m = rotate(tilt(m), 8)
			m = blur(m, 1, 2)
			m = lighting(m, 30, 170, 0.4)
			m = noise(m, 20, 2)
			return jpegRoundTrip(m, 30)
		}},
	}
	plainRead := 0
	for _, tt := range tests {
		img := tt.f(poster)
		got, err := core.DecodeImage(img)
		if err != nil || got != want {
			t.Errorf("%s: DecodeImage = %q, %v", tt.name, got, err)
		}
		if text, ok := plainDecode(img); ok && text == want {
			plainRead++
		}
	}
	t.Logf("degraded posters read: ours %d/%d, plain gozxing %d/%d", len(tests), len(tests), plainRead, len(tests))
}

// cameraFrame returns a 640x480 frame showing a poster's code, slightly
// tilted, blurred and noisy, as a browser canvas delivers it.
func cameraFrame(t testing.TB) (*image.RGBA, string) {
	poster, want := posterForCamera(t, 72)
	b := poster.Bounds()
	// The code fills the middle of the poster; frame it as a phone would.
	crop := poster.SubImage(image.Rect(0, b.Dy()*28/100, b.Dx(), b.Dy()*95/100))
	img := warp(crop, 640, 480, [4][2]float64{{130, 20}, {520, 45}, {540, 470}, {110, 450}})
	img = noise(blur(img, 1, 1), 12, 3)
	return toRGBA(img), want
}

func TestDecodeRGBA(t *testing.T) {
	frame, want := cameraFrame(t)
	got, err := core.DecodeRGBA(frame.Pix, 640, 480, frame.Stride)
	if err != nil || got != want {
		t.Fatalf("DecodeRGBA = %q, %v", got, err)
	}
	// A frame inside a larger buffer: stride wider than the row.
	wide := make([]byte, 480*(frame.Stride+64))
	for y := 0; y < 480; y++ {
		copy(wide[y*(frame.Stride+64):], frame.Pix[y*frame.Stride:(y+1)*frame.Stride])
	}
	if got, err := core.DecodeRGBA(wide, 640, 480, frame.Stride+64); err != nil || got != want {
		t.Errorf("DecodeRGBA with padded stride = %q, %v", got, err)
	}
	bad := []struct {
		name                  string
		pix                   []byte
		width, height, stride int
	}{
		{"zero width", frame.Pix, 0, 480, 0},
		{"short stride", frame.Pix, 640, 480, 100},
		{"short buffer", frame.Pix[:1000], 640, 480, 2560},
		{"huge", nil, 1 << 14, 1 << 14, 4 << 14},
	}
	for _, tt := range bad {
		if _, err := core.DecodeRGBA(tt.pix, tt.width, tt.height, tt.stride); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	blank := make([]byte, 640*480*4)
	for i := range blank {
		blank[i] = 255
	}
	if _, err := core.DecodeRGBA(blank, 640, 480, 2560); err != core.ErrNotFound {
		t.Errorf("blank frame: err = %v, want ErrNotFound", err)
	}
}

func BenchmarkDecodeFrame640x480(b *testing.B) {
	frame, want := cameraFrame(b)
	b.ResetTimer()
	for b.Loop() {
		got, err := core.DecodeRGBA(frame.Pix, 640, 480, frame.Stride)
		if err != nil || got != want {
			b.Fatalf("DecodeRGBA = %q, %v", got, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/frame")
}

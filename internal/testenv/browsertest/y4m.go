package browsertest

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"os"

	xdraw "golang.org/x/image/draw"

	"github.com/safetrace/safetrace/qr"
	"github.com/safetrace/safetrace/qr/core"
)

// Camera frame size of the fake camera.
const (
	FrameWidth  = 640
	FrameHeight = 480
)

// WriteY4M writes img as a YUV4MPEG2 video of frames identical frames in
// C420 (the format Chromium's --use-file-for-fake-video-capture plays in
// a loop). img must have even dimensions.
func WriteY4M(path string, img image.Image, frames int) error {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w%2 != 0 || h%2 != 0 {
		return fmt.Errorf("browsertest: y4m frame %dx%d: need even dimensions", w, h)
	}
	yp := make([]byte, w*h)
	up := make([]byte, w*h/4)
	vp := make([]byte, w*h/4)
	for y := range h {
		for x := range w {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			yy, cb, cr := color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			yp[y*w+x] = yy
			if x%2 == 0 && y%2 == 0 {
				up[(y/2)*(w/2)+x/2], vp[(y/2)*(w/2)+x/2] = cb, cr
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	fmt.Fprintf(bw, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420\n", w, h)
	for range frames {
		bw.WriteString("FRAME\n")
		bw.Write(yp)
		bw.Write(up)
		bw.Write(vp)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// PosterFrame renders v's poster PNG (qr.PosterImage, for the app at
// origin) and places it, as a camera held in front of it would see it, on
// a 640x480 frame: scaled so that the code fills most of the frame's
// height, centred on the code. The frame is checked to decode natively.
func PosterFrame(v *core.Venue, origin string) (image.Image, error) {
	poster, err := qr.PosterImage(v, &qr.PosterOptions{Origin: origin, DPI: 100})
	if err != nil {
		return nil, err
	}
	frame := image.NewRGBA(image.Rect(0, 0, FrameWidth, FrameHeight))
	draw.Draw(frame, frame.Bounds(), image.NewUniform(color.RGBA{90, 90, 90, 255}), image.Point{}, draw.Src)
	// Find the code: the bounding box of dark pixels in the poster's
	// widest dark block is hard to tell from text, so try the poster
	// scaled to a few sizes and keep the first frame that decodes.
	pb := poster.Bounds()
	for _, scale := range []float64{0.9, 1.2, 1.5, 0.7, 2} {
		w := int(float64(FrameHeight) * scale * float64(pb.Dx()) / float64(pb.Dy()))
		h := int(float64(FrameHeight) * scale)
		for _, cy := range []float64{0.5, 0.45, 0.55, 0.4, 0.6, 0.35, 0.65} {
			draw.Draw(frame, frame.Bounds(), image.NewUniform(color.RGBA{90, 90, 90, 255}), image.Point{}, draw.Src)
			dst := image.Rect(FrameWidth/2-w/2, FrameHeight/2-int(cy*float64(h)), 0, 0)
			dst.Max = dst.Min.Add(image.Pt(w, h))
			xdraw.CatmullRom.Scale(frame, dst, poster, pb, draw.Over, nil)
			if text, err := core.DecodeImage(frame); err == nil && text == v.URL(origin) {
				return frame, nil
			}
		}
	}
	return nil, fmt.Errorf("browsertest: no poster frame of %q decodes", v.Name)
}

// CodeFrame places a QR code of text on a 640x480 frame (a phone screen
// showing a personal code, held to the camera).
func CodeFrame(text string) (image.Image, error) {
	sym, err := core.Encode(text)
	if err != nil {
		return nil, err
	}
	frame := image.NewRGBA(image.Rect(0, 0, FrameWidth, FrameHeight))
	draw.Draw(frame, frame.Bounds(), image.White, image.Point{}, draw.Src)
	n := sym.Size()
	m := 400 / n
	x0, y0 := (FrameWidth-n*m)/2, (FrameHeight-n*m)/2
	for y := range n * m {
		for x := range n * m {
			if sym.Modules[y/m][x/m] {
				frame.Set(x0+x, y0+y, color.Black)
			}
		}
	}
	return frame, nil
}

// ImageFrame places img (such as the QR code PNG the authority's desk
// shows) on a 640x480 white frame, scaled without smoothing to 440 pixels
// high, as a phone camera held to the screen would see it. The frame is
// checked to decode natively to want.
func ImageFrame(img image.Image, want string) (image.Image, error) {
	frame := image.NewRGBA(image.Rect(0, 0, FrameWidth, FrameHeight))
	draw.Draw(frame, frame.Bounds(), image.White, image.Point{}, draw.Src)
	const side = 440
	dst := image.Rect((FrameWidth-side)/2, (FrameHeight-side)/2, (FrameWidth+side)/2, (FrameHeight+side)/2)
	xdraw.NearestNeighbor.Scale(frame, dst, img, img.Bounds(), draw.Over, nil)
	if text, err := core.DecodeImage(frame); err != nil || text != want {
		return nil, fmt.Errorf("browsertest: the image frame decodes to %q, %v; want %q", text, err, want)
	}
	return frame, nil
}

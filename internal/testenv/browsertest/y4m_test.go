package browsertest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/safetrace/safetrace/qr/core"
)

func TestPosterFrame(t *testing.T) {
	v, err := core.NewVenue("Café Zentral", core.Category(1))
	if err != nil {
		t.Fatal(err)
	}
	v.Room = "Saal 2"
	img, err := PosterFrame(v, "http://localhost:8080")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "cam.y4m")
	if err := WriteY4M(p, img, 2); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if want := int64(len("YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420\n") + 2*(6+640*480*3/2)); st.Size() != want {
		t.Errorf("y4m of %d bytes, want %d", st.Size(), want)
	}
}

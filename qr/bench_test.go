package qr

import (
	"io"
	"testing"

	"github.com/safetrace/safetrace/qr/core"
)

func benchPoster(b *testing.B, write func(io.Writer, *core.Venue, *PosterOptions) error) {
	v := testVenue()
	w := &countingWriter{}
	for b.Loop() {
		if err := write(w, v, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/poster")
	b.ReportMetric(float64(w.n)/float64(b.N)/1024, "KiB/poster")
}

type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

func BenchmarkPosterPDF(b *testing.B) { benchPoster(b, WritePDF) }
func BenchmarkPosterPNG(b *testing.B) { benchPoster(b, WritePNG) }
func BenchmarkPosterSVG(b *testing.B) { benchPoster(b, WriteSVG) }

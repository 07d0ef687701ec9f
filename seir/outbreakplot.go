package seir

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Plot draws o to file (.svg, .png or .pdf) as two panels: the data with
// the fit, its 30-day forecast and 90% band and the network models above,
// R_t with its 90% band below.
func (o *Outbreak) Plot(file string) error {
	ext := strings.ToLower(filepath.Ext(file))
	w, h := 16*vg.Centimeter, 18*vg.Centimeter
	var c vg.CanvasWriterTo
	switch ext {
	case ".svg":
		c = vgsvg.New(w, h)
	case ".png":
		c = vgimg.PngCanvas{Canvas: vgimg.New(w, h)}
	case ".pdf":
		c = vgpdf.New(w, h)
	default:
		return fmt.Errorf("seir: plot %q: want a .svg, .png or .pdf file", file)
	}
	top, bottom, err := o.plots()
	if err != nil {
		return err
	}
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadY: vg.Millimeter * 4, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2,
		PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align([][]*plot.Plot{{top}, {bottom}}, tiles, dc)
	top.Draw(canvases[0][0])
	bottom.Draw(canvases[1][0])
	fh, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(fh); err != nil {
		fh.Close()
		return fmt.Errorf("seir: plot: %w", err)
	}
	return fh.Close()
}

func xys(x []float64, from int) plotter.XYs {
	var pts plotter.XYs
	for i, v := range x {
		if !math.IsNaN(v) {
			pts = append(pts, plotter.XY{X: float64(from + i), Y: v})
		}
	}
	return pts
}

func bandPolygon(lo, hi []float64, days []int) (*plotter.Polygon, error) {
	var pts plotter.XYs
	for i := range days {
		pts = append(pts, plotter.XY{X: float64(days[i]), Y: lo[i]})
	}
	for i := len(days) - 1; i >= 0; i-- {
		pts = append(pts, plotter.XY{X: float64(days[i]), Y: hi[i]})
	}
	p, err := plotter.NewPolygon(pts)
	if err != nil {
		return nil, err
	}
	p.LineStyle.Width = 0
	return p, nil
}

func (o *Outbreak) plots() (top, bottom *plot.Plot, err error) {
	f := o.Fit
	top = plot.New()
	top.Title.Text = fmt.Sprintf("Reported positives: mean-field fit (R0 %.2f) and 30-day forecast", f.R0)
	top.X.Label.Text = "day"
	top.Y.Label.Text = "positives per day"
	days := make([]int, len(f.Expected))
	for i := range days {
		days[i] = i
	}
	band, err := bandPolygon(f.Lo, f.Hi, days)
	if err != nil {
		return nil, nil, err
	}
	band.Color = color.NRGBA{31, 119, 180, 70}
	top.Add(band)
	top.Legend.Add("90% band", band)
	add := func(p *plot.Plot, name string, pts plotter.XYs, col color.RGBA, dashes []vg.Length) error {
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		l.Color, l.Width, l.Dashes = col, vg.Points(1.5), dashes
		p.Add(l)
		p.Legend.Add(name, l)
		return nil
	}
	if err := add(top, "mean-field fit", xys(f.Expected, 0), color.RGBA{31, 119, 180, 255}, nil); err != nil {
		return nil, nil, err
	}
	if o.Pairwise != nil {
		if err := add(top, "pairwise (released degrees)", xys(o.Pairwise.Expected, 0), color.RGBA{214, 39, 40, 255}, []vg.Length{vg.Points(4), vg.Points(2)}); err != nil {
			return nil, nil, err
		}
	}
	if o.Dynamic != nil {
		if err := add(top, "dynamic network (mean)", xys(o.Dynamic.Expected, 0), color.RGBA{44, 160, 44, 255}, []vg.Length{vg.Points(1), vg.Points(2)}); err != nil {
			return nil, nil, err
		}
	}
	sc, err := plotter.NewScatter(xys(o.Data, 0))
	if err != nil {
		return nil, nil, err
	}
	sc.GlyphStyle.Radius = vg.Points(1.8)
	top.Add(sc)
	top.Legend.Add("data", sc)
	top.Legend.Top, top.Legend.Left = true, true
	top.Add(plotter.NewGrid())

	bottom = plot.New()
	bottom.Title.Text = "R_t (renewal estimate, 7-day window) with 90% interval"
	bottom.X.Label.Text = "day"
	bottom.Y.Label.Text = "R_t"
	if len(f.Rt) > 0 {
		var rd []int
		var lo, hi, mean []float64
		for _, p := range f.Rt {
			rd = append(rd, p.Day)
			lo, hi, mean = append(lo, p.Lo), append(hi, p.Hi), append(mean, p.Mean)
		}
		rb, err := bandPolygon(lo, hi, rd)
		if err != nil {
			return nil, nil, err
		}
		rb.Color = color.NRGBA{255, 127, 14, 70}
		bottom.Add(rb)
		var pts plotter.XYs
		for i, d := range rd {
			pts = append(pts, plotter.XY{X: float64(d), Y: mean[i]})
		}
		if err := add(bottom, "R_t", pts, color.RGBA{255, 127, 14, 255}, nil); err != nil {
			return nil, nil, err
		}
		one, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 1}, {X: float64(len(o.Data) - 1), Y: 1}})
		if err != nil {
			return nil, nil, err
		}
		one.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
		bottom.Add(one)
	}
	bottom.X.Min, bottom.X.Max, bottom.Y.Min = 0, float64(len(f.Expected)-1), 0
	bottom.Add(plotter.NewGrid())
	return top, bottom, nil
}

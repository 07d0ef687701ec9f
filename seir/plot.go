package seir

import (
	"fmt"
	"image/color"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Plot draws the four classes of c against time and saves the figure to
// file, whose extension (.svg, .png, .pdf, ...) selects the format.
func (c *Curve) Plot(file, title string) error {
	ext := strings.ToLower(filepath.Ext(file))
	if ext != ".svg" && ext != ".png" && ext != ".pdf" {
		return fmt.Errorf("seir: plot %q: want a .svg, .png or .pdf file", file)
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "day"
	p.Y.Label.Text = "nodes"
	if c.N == 1 {
		p.Y.Label.Text = "fraction"
	}
	colors := []color.RGBA{{31, 119, 180, 255}, {255, 127, 14, 255}, {214, 39, 40, 255}, {44, 160, 44, 255}}
	for k, name := range []string{"S", "E", "I", "R"} {
		y := c.class(k)
		pts := make(plotter.XYs, len(c.T))
		for i := range c.T {
			pts[i].X, pts[i].Y = c.T[i], y[i]
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return fmt.Errorf("seir: plot: %w", err)
		}
		l.Color = colors[k]
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(name, l)
	}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	if err := p.Save(16*vg.Centimeter, 10*vg.Centimeter, file); err != nil {
		return fmt.Errorf("seir: plot: %w", err)
	}
	return nil
}

package qr

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/safetrace/safetrace/qr/core"
)

// WriteSVG writes v's poster to w as an SVG document sized in millimetres.
// The code is one path in module units, drawn with crisp edges; the texts are
// SVG text in the Go font with common sans-serif fallbacks.
func WriteSVG(w io.Writer, v *core.Venue, opt *PosterOptions) error {
	l, err := newLayout(v, opt.orDefault())
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%[1]smm" height="%[2]smm" viewBox="0 0 %[1]s %[2]s">
<title>%[3]s</title>
<rect width="%[1]s" height="%[2]s" fill="#fff"/>
`, num(l.w), num(l.h), escape(v.Name))
	for _, t := range l.texts {
		weight := ""
		if t.bold {
			weight = ` font-weight="bold"`
		}
		fmt.Fprintf(bw, "<text x=\"%s\" y=\"%s\" font-family=\"%s\" font-size=\"%s\"%s text-anchor=\"middle\">%s</text>\n",
			num(t.x), num(t.y), svgFontFamily, num(t.size/pointsPerMM), weight, escape(t.text))
	}
	fmt.Fprintf(bw, `<path transform="translate(%s %s) scale(%s)" fill="#000" shape-rendering="crispEdges" d="`,
		num(l.qrX), num(l.qrY), num(l.module))
	l.symbol.Runs(func(y, x, n int) {
		fmt.Fprintf(bw, "M%d %dh%dv1h-%dz", x, y, n, n)
	})
	fmt.Fprintf(bw, "\"/>\n<desc>%s</desc>\n</svg>\n", escape(l.url))
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("qr: write svg: %w", err)
	}
	return nil
}

// num formats a length in millimetres with a tenth of a micrometre's
// precision, without trailing zeros.
func num(x float64) string {
	s := fmt.Sprintf("%.4f", x)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

func escape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

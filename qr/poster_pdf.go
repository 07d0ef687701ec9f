package qr

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/safetrace/safetrace/qr/core"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// WritePDF writes v's poster to w as a one-page PDF. The code is drawn as
// vector rectangles, so it stays sharp at any printer resolution; the Go
// fonts are embedded (subset), so any UTF-8 name they cover prints.
func WritePDF(w io.Writer, v *core.Venue, opt *PosterOptions) error {
	return WritePDFBatch(w, []*core.Venue{v}, opt)
}

// WritePDFBatch writes one poster per venue to w as a single PDF, one page
// each, in order. It fails without writing anything if any venue is invalid.
func WritePDFBatch(w io.Writer, venues []*core.Venue, opt *PosterOptions) error {
	if len(venues) == 0 {
		return errors.New("qr: no venues to print")
	}
	o := opt.orDefault()
	layouts := make([]*layout, len(venues))
	for i, v := range venues {
		l, err := newLayout(v, o)
		if err != nil {
			if len(venues) > 1 {
				return fmt.Errorf("qr: venue %d: %w", i+1, err)
			}
			return err
		}
		layouts[i] = l
	}
	pw, ph := o.Paper.size()
	pdf := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", Size: fpdf.SizeType{Wd: pw, Ht: ph}})
	// A fixed date keeps the output a function of its input.
	pdf.SetCreationDate(time.Unix(0, 0).UTC())
	pdf.SetModificationDate(time.Unix(0, 0).UTC())
	pdf.SetCreator("SafeTrace", true)
	pdf.SetTitle(venues[0].Name, true)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	pdf.SetFillColor(0, 0, 0)
	pdf.SetTextColor(0, 0, 0)
	for _, l := range layouts {
		pdf.AddPage()
		for _, t := range l.texts {
			style := ""
			if t.bold {
				style = "B"
			}
			pdf.SetFont("go", style, t.size)
			pdf.Text(t.x-pdf.GetStringWidth(t.text)/2, t.y, t.text)
		}
		l.symbol.Runs(func(y, x, n int) {
			pdf.Rect(l.qrX+float64(x)*l.module, l.qrY+float64(y)*l.module, float64(n)*l.module, l.module, "F")
		})
		pdf.LinkString(l.qrX, l.qrY, l.module*float64(l.symbol.Size()), l.module*float64(l.symbol.Size()), l.url)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("qr: write pdf: %w", err)
	}
	return nil
}

package qr

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/safetrace/safetrace/qr/core"
)

// A Paper is a poster's page size.
type Paper int

// The supported page sizes. The zero Paper is A4.
const (
	A4 Paper = iota
	Letter
)

// ParsePaper returns the paper named "a4" or "letter" (any case); the empty
// string means A4.
func ParsePaper(s string) (Paper, error) {
	switch strings.ToLower(s) {
	case "", "a4":
		return A4, nil
	case "letter", "us-letter":
		return Letter, nil
	}
	return 0, fmt.Errorf("qr: unknown paper %q (want a4 or letter)", s)
}

// String returns "a4" or "letter".
func (p Paper) String() string {
	if p == Letter {
		return "letter"
	}
	return "a4"
}

// size returns the page width and height in millimetres.
func (p Paper) size() (w, h float64) {
	if p == Letter {
		return 215.9, 279.4
	}
	return 210, 297
}

// PosterOptions adjusts a poster. The zero value (or a nil pointer) means an
// A4 poster for DefaultOrigin, PNGs at 150 dots per inch.
type PosterOptions struct {
	// Origin is the app's origin, such as "https://safetrace.example".
	Origin string
	// Paper is the page size.
	Paper Paper
	// DPI is the resolution of PNG posters, at most 600; 0 means 150.
	DPI int
}

func (o *PosterOptions) orDefault() PosterOptions {
	if o == nil {
		return PosterOptions{}
	}
	return *o
}

// Poster texts. They are short so that a large font fits them.
const (
	instructions = "Scan with your phone camera to check in with SafeTrace"
	privacyLine  = "Your visit stays on your phone until you choose to share it; only you can learn your risk."
)

// A layout is a poster placed on its page, in millimetres from the top left
// corner. Every renderer draws the same layout.
type layout struct {
	w, h   float64
	texts  []placedText
	qrX    float64 // left edge of the symbol, quiet zone included
	qrY    float64
	module float64 // side of one module
	symbol *core.Symbol
	url    string
}

// A placedText is one line of text centred on x, with its baseline at y.
type placedText struct {
	text string
	x, y float64
	size float64 // points
	bold bool
}

const (
	margin   = 15.0 // mm
	leading  = 1.2  // line height as a multiple of the font size
	nameMax  = 48.0 // points
	nameMin  = 24.0
	nameRows = 2
)

// newLayout places v's poster on the page. It fails if v is not valid.
func newLayout(v *core.Venue, opt PosterOptions) (*layout, error) {
	url := v.URL(opt.Origin)
	if url == "" {
		return nil, v.Validate()
	}
	sym, err := core.Encode(url)
	if err != nil {
		return nil, err
	}
	w, h := opt.Paper.size()
	l := &layout{w: w, h: h, symbol: sym, url: url}
	textWidth := w - 2*margin
	y := margin

	add := func(s string, size float64, isBold bool) {
		y += size / pointsPerMM * leading
		l.texts = append(l.texts, placedText{text: s, x: w / 2, y: y, size: size, bold: isBold})
	}
	addWrapped := func(s string, size float64, isBold bool) error {
		lines, err := wrap(printable(s), isBold, size, textWidth)
		for _, line := range lines {
			add(line, size, isBold)
		}
		return err
	}

	add("SafeTrace check-in", 14, false)
	y += 4
	// The largest name size that fits in two lines, down to nameMin, where
	// it wraps onto as many lines as it needs.
	size := nameMax
	var name []string
	for ; ; size -= 2 {
		name, err = wrap(printable(v.Name), true, size, textWidth)
		if err != nil {
			return nil, err
		}
		if len(name) <= nameRows || size <= nameMin {
			break
		}
	}
	for _, line := range name {
		add(line, size, true)
	}
	y += 2
	if v.Room != "" {
		if err := addWrapped(v.Room, 26, true); err != nil {
			return nil, err
		}
	}
	if v.Address != "" {
		if err := addWrapped(v.Address, 13, false); err != nil {
			return nil, err
		}
	}
	y += 3
	if err := addWrapped(instructions, 16, false); err != nil {
		return nil, err
	}
	top := y + 2

	// The bottom block is laid out from the bottom margin upwards.
	footer := fmt.Sprintf("%s · usual stay %s · %s", v.Category, formatStay(v.Stay), host(l.url))
	priv, err := wrap(privacyLine, false, 12, textWidth)
	if err != nil {
		return nil, err
	}
	bottom := h - margin - float64(len(priv))*12/pointsPerMM*leading - 9/pointsPerMM*leading - 4
	yb := bottom + 2
	for _, line := range priv {
		yb += 12 / pointsPerMM * leading
		l.texts = append(l.texts, placedText{text: line, x: w / 2, y: yb, size: 12})
	}
	yb += 9/pointsPerMM*leading + 2
	l.texts = append(l.texts, placedText{text: printable(footer), x: w / 2, y: yb, size: 9})

	side := min(w-2*margin, bottom-top)
	if side < 60 {
		return nil, errors.New("qr: poster text leaves too little room for the code")
	}
	l.module = side / float64(sym.Size())
	l.qrX = (w - side) / 2
	l.qrY = top + (bottom-top-side)/2
	return l, nil
}

// formatStay prints a stay as "90 min" or "2 h" or "1 h 30 min".
func formatStay(d time.Duration) string {
	m := int(d.Minutes())
	switch {
	case m < 60:
		return fmt.Sprintf("%d min", m)
	case m%60 == 0:
		return fmt.Sprintf("%d h", m/60)
	}
	return fmt.Sprintf("%d h %d min", m/60, m%60)
}

// host returns the URL's origin without scheme, as a visitor would type it.
func host(url string) string {
	s := url[:strings.IndexByte(url, '#')]
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	return strings.TrimSuffix(s, "/")
}

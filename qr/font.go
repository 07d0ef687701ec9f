package qr

import (
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// Posters use the Go fonts (a humanist sans-serif under a BSD licence, with
// Latin, Greek and Cyrillic) so that every format, the PDF included, shows
// the same glyphs with the same metrics wherever it is rendered.
var (
	fontsOnce     sync.Once
	regular, bold *sfnt.Font
	errFonts      error

	faceMu sync.Mutex // guards faces and every use of a face from it
	faces  = map[faceKey]font.Face{}
)

const (
	// svgFontFamily names the Go font first and close fallbacks after it,
	// since an SVG viewer may not have the Go font installed.
	svgFontFamily = "'Go', 'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif"
	pointsPerMM   = 72 / 25.4
	// missingGlyph stands in for characters the Go fonts cannot draw.
	missingGlyph = '?'
)

type faceKey struct {
	bold bool
	size float64 // points
	dpi  float64
}

func loadFonts() error {
	fontsOnce.Do(func() {
		regular, errFonts = opentype.Parse(goregular.TTF)
		if errFonts == nil {
			bold, errFonts = opentype.Parse(gobold.TTF)
		}
		if errFonts != nil {
			errFonts = fmt.Errorf("qr: load fonts: %w", errFonts)
		}
	})
	return errFonts
}

// face returns a cached face of the given weight, size in points and
// resolution. Faces are not safe for concurrent use, so callers hold faceMu
// for the duration of their use.
func face(isBold bool, size, dpi float64) (font.Face, error) {
	if err := loadFonts(); err != nil {
		return nil, err
	}
	k := faceKey{isBold, size, dpi}
	if f, ok := faces[k]; ok {
		return f, nil
	}
	f := regular
	if isBold {
		f = bold
	}
	fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: dpi, Hinting: font.HintingNone})
	if err != nil {
		return nil, fmt.Errorf("qr: font face: %w", err)
	}
	faces[k] = fc
	return fc, nil
}

// textWidth returns the advance width of s in millimetres.
func textWidth(s string, isBold bool, size float64) (float64, error) {
	faceMu.Lock()
	defer faceMu.Unlock()
	fc, err := face(isBold, size, 72)
	if err != nil {
		return 0, err
	}
	return fixedToFloat(font.MeasureString(fc, s)) / pointsPerMM, nil
}

func fixedToFloat(x fixed.Int26_6) float64 { return float64(x) / 64 }

// wrap breaks s into lines no wider than width millimetres, breaking at
// spaces and, for a word wider than a line, between characters.
func wrap(s string, isBold bool, size, width float64) ([]string, error) {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		try := word
		if line != "" {
			try = line + " " + word
		}
		w, err := textWidth(try, isBold, size)
		if err != nil {
			return nil, err
		}
		if w <= width {
			line = try
			continue
		}
		if line != "" {
			lines = append(lines, line)
		}
		// Break a word that alone is too wide.
		line = ""
		for _, r := range word {
			w, err := textWidth(line+string(r), isBold, size)
			if err != nil {
				return nil, err
			}
			if w > width && line != "" {
				lines = append(lines, line)
				line = ""
			}
			line += string(r)
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines, nil
}

// printable replaces runes the poster fonts cannot draw, so that a poster
// shows a visible mark instead of silently dropping characters.
func printable(s string) string {
	if err := loadFonts(); err != nil {
		return s
	}
	var buf sfnt.Buffer
	var b strings.Builder
	for _, r := range s {
		if r == ' ' {
			b.WriteRune(r)
			continue
		}
		i, err := regular.GlyphIndex(&buf, r)
		j, errb := bold.GlyphIndex(&buf, r)
		if err != nil || errb != nil || i == 0 || j == 0 || r == utf8.RuneError {
			r = missingGlyph
		}
		b.WriteRune(r)
	}
	return b.String()
}

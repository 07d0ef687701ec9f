package core

import (
	"fmt"

	qrcode "github.com/skip2/go-qrcode"
)

// QuietZone is the width of the light margin kept around every symbol, in
// modules, as ISO/IEC 18004 requires.
const QuietZone = 4

// maxHighVersion is the largest symbol version drawn with error correction
// level H. Larger contents fall back to level Q, which keeps modules big
// enough to scan from a printed poster at arm's length.
const maxHighVersion = 25

// A Symbol is an encoded QR code: a square grid of modules, the quiet zone
// included, and the error-correction level used.
type Symbol struct {
	// Modules[y][x] is true for a dark module.
	Modules [][]bool
	// Version is the symbol version, 1 to 40.
	Version int
	// Level is "H" or "Q".
	Level string
}

// Size returns the number of modules per side, quiet zone included.
func (s *Symbol) Size() int { return len(s.Modules) }

// Encode encodes text as a QR symbol with error correction level H (30% of
// the code words can be restored), or level Q (25%) when level H would need a
// version above 25. It fails if the text does not fit in a version 40 symbol
// at level Q.
func Encode(text string) (*Symbol, error) {
	q, err := qrcode.New(text, qrcode.Highest)
	level := "H"
	if err != nil || q.VersionNumber > maxHighVersion {
		q, err = qrcode.New(text, qrcode.High)
		level = "Q"
	}
	if err != nil {
		return nil, fmt.Errorf("qr: encode %d bytes: %w", len(text), err)
	}
	q.DisableBorder = true
	core := q.Bitmap()
	n := len(core) + 2*QuietZone
	m := make([][]bool, n)
	for y := range m {
		m[y] = make([]bool, n)
		if y >= QuietZone && y < n-QuietZone {
			copy(m[y][QuietZone:], core[y-QuietZone])
		}
	}
	return &Symbol{Modules: m, Version: q.VersionNumber, Level: level}, nil
}

// Runs calls f for each horizontal run of dark modules, with its row, first
// column and length, so that renderers draw one rectangle per run.
func (s *Symbol) Runs(f func(y, x, n int)) {
	for y, row := range s.Modules {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			f(y, start, x-start)
		}
	}
}

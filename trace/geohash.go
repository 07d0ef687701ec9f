package trace

import "fmt"

// MaxPrecision is the longest geohash this package writes or reads
// (12 characters, 60 bits, cells of a few centimetres).
const MaxPrecision = 12

const geohashAlphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// geohashValue maps a byte to its 5-bit value, or 0xff.
var geohashValue = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(geohashAlphabet); i++ {
		t[geohashAlphabet[i]] = byte(i)
	}
	return t
}()

// Cell returns the geohash of the point (lat, lon) in degrees with the given
// number of characters (standard base-32 geohash, longitude bit first; a
// coordinate on a cell boundary belongs to the cell above or to the east).
// It returns "" for a precision outside 1..[MaxPrecision] or coordinates
// outside [-90, 90] × [-180, 180].
func Cell(lat, lon float64, precision int) string {
	if precision < 1 || precision > MaxPrecision || !validLatLon(lat, lon) {
		return ""
	}
	latLo, latHi := -90.0, 90.0
	lonLo, lonHi := -180.0, 180.0
	b := make([]byte, precision)
	even := true
	for i := range b {
		var v byte
		for range 5 {
			v <<= 1
			if even {
				if mid := (lonLo + lonHi) / 2; lon >= mid {
					v |= 1
					lonLo = mid
				} else {
					lonHi = mid
				}
			} else {
				if mid := (latLo + latHi) / 2; lat >= mid {
					v |= 1
					latLo = mid
				} else {
					latHi = mid
				}
			}
			even = !even
		}
		b[i] = geohashAlphabet[v]
	}
	return string(b)
}

func validLatLon(lat, lon float64) bool {
	return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180
}

// A Box is the area of a geohash cell in degrees.
type Box struct {
	MinLat, MaxLat, MinLon, MaxLon float64
}

// Center returns the midpoint of b.
func (b Box) Center() (lat, lon float64) {
	return (b.MinLat + b.MaxLat) / 2, (b.MinLon + b.MaxLon) / 2
}

// CellBox returns the area of a geohash cell. It accepts only lower-case
// geohashes of 1..[MaxPrecision] characters.
func CellBox(cell string) (Box, error) {
	if len(cell) < 1 || len(cell) > MaxPrecision {
		return Box{}, fmt.Errorf("trace: geohash %q has %d characters, want 1..%d", cell, len(cell), MaxPrecision)
	}
	b := Box{-90, 90, -180, 180}
	even := true
	for i := 0; i < len(cell); i++ {
		v := geohashValue[cell[i]]
		if v == 0xff {
			return Box{}, fmt.Errorf("trace: bad geohash character %q in %q", cell[i], cell)
		}
		for bit := 4; bit >= 0; bit-- {
			one := v>>bit&1 == 1
			if even {
				mid := (b.MinLon + b.MaxLon) / 2
				if one {
					b.MinLon = mid
				} else {
					b.MaxLon = mid
				}
			} else {
				mid := (b.MinLat + b.MaxLat) / 2
				if one {
					b.MinLat = mid
				} else {
					b.MaxLat = mid
				}
			}
			even = !even
		}
	}
	return b, nil
}

// Neighbors returns the cells of the same precision around cell, in the order
// north, north-east, east, south-east, south, south-west, west, north-west.
// Longitude wraps around at ±180°; past a pole there is no cell, so cells
// touching a pole have only 5 neighbours (and a precision-1 cell, whose row
// spans the globe, fewer distinct ones: duplicates are removed).
func Neighbors(cell string) ([]string, error) {
	box, err := CellBox(cell)
	if err != nil {
		return nil, err
	}
	lat, lon := box.Center()
	h, w := box.MaxLat-box.MinLat, box.MaxLon-box.MinLon
	steps := [8][2]float64{{1, 0}, {1, 1}, {0, 1}, {-1, 1}, {-1, 0}, {-1, -1}, {0, -1}, {1, -1}}
	out := make([]string, 0, 8)
	seen := map[string]bool{cell: true}
	for _, s := range steps {
		nlat := lat + s[0]*h
		if nlat < -90 || nlat > 90 {
			continue
		}
		nlon := lon + s[1]*w
		if nlon > 180 {
			nlon -= 360
		} else if nlon < -180 {
			nlon += 360
		}
		n := Cell(nlat, nlon, len(cell))
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}

package trace

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// Published vectors (Wikipedia "Geohash", geohash.org) and an independent
// integer-arithmetic encoder.
func TestCellVectors(t *testing.T) {
	for _, tc := range []struct {
		lat, lon float64
		prec     int
		want     string
	}{
		{57.64911, 10.40744, 11, "u4pruydqqvj"},
		{42.6, -5.6, 5, "ezs42"},
		{-25.382708, -49.265506, 12, "6gkzwgjzn820"},
		{37.8324, 112.5584, 9, "ww8p1r4t8"},
		{52.52, 13.405, 7, "u33dc0c"},
		{0, 0, 1, "s"},
		{-90, -180, 6, "000000"},
		{90, 180, 6, "zzzzzz"},
	} {
		if got := Cell(tc.lat, tc.lon, tc.prec); got != tc.want {
			t.Errorf("Cell(%v, %v, %d) = %q, want %q", tc.lat, tc.lon, tc.prec, got, tc.want)
		}
	}
}

func TestCellInvalid(t *testing.T) {
	nan := func() float64 { var z float64; return z / z }()
	for _, tc := range [][3]float64{{91, 0, 7}, {0, 180.5, 7}, {nan, 0, 7}, {0, nan, 7}, {0, 0, 0}, {0, 0, 13}} {
		if got := Cell(tc[0], tc[1], int(tc[2])); got != "" {
			t.Errorf("Cell(%v) = %q, want empty", tc, got)
		}
	}
	for _, c := range []string{"", "a", "u4pruydqqvjA", "U4pr", "u4pruydqqvjzz", "ezs4i"} {
		if _, err := CellBox(c); err == nil {
			t.Errorf("CellBox(%q) accepted", c)
		}
	}
}

func TestCellBoxRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		lat, lon := 180*r.Float64()-90, 360*r.Float64()-180
		prec := 1 + r.IntN(MaxPrecision)
		c := Cell(lat, lon, prec)
		b, err := CellBox(c)
		if err != nil {
			t.Fatal(err)
		}
		if lat < b.MinLat || lat > b.MaxLat || lon < b.MinLon || lon > b.MaxLon {
			t.Fatalf("%v,%v not in box %+v of %s", lat, lon, b, c)
		}
		if cl, cn := b.Center(); Cell(cl, cn, prec) != c {
			t.Fatalf("center of %s encodes to %s", c, Cell(cl, cn, prec))
		}
	}
}

// Expected neighbours from the classic lookup-table algorithm, which wraps
// around in longitude.
func TestNeighbors(t *testing.T) {
	for cell, want := range map[string][]string{
		"dqcjqc":      {"dqcjqf", "dqcjr4", "dqcjr1", "dqcjr0", "dqcjqb", "dqcjq8", "dqcjq9", "dqcjqd"},
		"u4pruydqqvj": {"u4pruydqqvm", "u4pruydqqvq", "u4pruydqqvn", "u4pruydqquy", "u4pruydqquv", "u4pruydqquu", "u4pruydqqvh", "u4pruydqqvk"},
		"ezs42":       {"ezs48", "ezs49", "ezs43", "ezs41", "ezs40", "ezefp", "ezefr", "ezefx"},
		// East edge at +180°: east neighbours wrap to -180°.
		"xbpbpb": {"xbpbpc", "800001", "800000", "2pbpbp", "rzzzzz", "rzzzzx", "xbpbp8", "xbpbp9"},
		// West edge at -180°.
		"8000000": {"8000002", "8000003", "8000001", "2pbpbpc", "2pbpbpb", "rzzzzzz", "xbpbpbp", "xbpbpbr"},
		// Corner at the equator and the prime meridian.
		"s0000": {"s0002", "s0003", "s0001", "kpbpc", "kpbpb", "7zzzz", "ebpbp", "ebpbr"},
	} {
		got, err := Neighbors(cell)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("Neighbors(%s) = %v, %v; want %v", cell, got, err, want)
		}
	}
}

func TestNeighborsPoles(t *testing.T) {
	north := Cell(89.99, 10, 4)
	got, err := Neighbors(north)
	if err != nil || len(got) != 5 {
		t.Fatalf("Neighbors(%s) = %v, %v; want 5 cells", north, got, err)
	}
	south := Cell(-89.99, -170, 5)
	if got, _ := Neighbors(south); len(got) != 5 {
		t.Fatalf("Neighbors(%s) = %v; want 5 cells", south, got)
	}
	// Precision 1: a row of 8 cells spans the globe.
	got, _ = Neighbors("s")
	if !slices.Equal(got, []string{"u", "v", "t", "m", "k", "7", "e", "g"}) {
		t.Fatalf("Neighbors(s) = %v", got)
	}
}

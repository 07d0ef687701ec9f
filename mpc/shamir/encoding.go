package shamir

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
)

// Share encoding: X as 2 bytes big endian (1..65535), the number of values
// as 4 bytes big endian, then the values' fixed-size canonical encodings.
// Every share has exactly one encoding, so decode -> encode gives back the
// same bytes.
const shareHeader = 6

// AppendShare appends the encoding of s to b. It panics if s.X is not in
// 1..65535 or s has more than 2^32-1 values: such shares are never produced
// by Split.
func AppendShare[E comparable](f field.Field[E], b []byte, s Share[E]) []byte {
	b = appendHeader(b, s.X, len(s.Y))
	return f.Append(b, s.Y)
}

// DecodeShare parses one share encoded by AppendShare, rejecting trailing
// bytes, zero or unrepresentable x coordinates and non-canonical values.
func DecodeShare[E comparable](f field.Field[E], b []byte) (Share[E], error) {
	x, n, err := parseHeader(b, f.ElemSize())
	if err != nil {
		return Share[E]{}, err
	}
	if err := CheckXs(f, []int{x}); err != nil {
		return Share[E]{}, err
	}
	y := make([]E, n)
	if err := f.Decode(y, b[shareHeader:]); err != nil {
		return Share[E]{}, fmt.Errorf("shamir: share %d: %w", x, err)
	}
	return Share[E]{X: x, Y: y}, nil
}

// AppendPointShare appends the encoding of s to b, in the format of
// AppendShare with 32-byte point encodings.
func AppendPointShare(b []byte, s PointShare) []byte {
	b = appendHeader(b, s.X, len(s.Y))
	return group.AppendVec(b, s.Y)
}

// DecodePointShare parses one share encoded by AppendPointShare, rejecting
// trailing bytes, a zero x coordinate and non-canonical or invalid points.
func DecodePointShare(b []byte) (PointShare, error) {
	x, n, err := parseHeader(b, group.Size)
	if err != nil {
		return PointShare{}, err
	}
	y := make([]group.Point, n)
	if err := group.DecodeVec(y, b[shareHeader:]); err != nil {
		return PointShare{}, fmt.Errorf("shamir: share %d: %w", x, err)
	}
	return PointShare{X: x, Y: y}, nil
}

func appendHeader(b []byte, x, n int) []byte {
	if x < 1 || x > math.MaxUint16 || uint64(n) > math.MaxUint32 {
		panic("shamir: share out of range for encoding")
	}
	b = binary.BigEndian.AppendUint16(b, uint16(x))
	return binary.BigEndian.AppendUint32(b, uint32(n))
}

func parseHeader(b []byte, size int) (x, n int, err error) {
	if len(b) < shareHeader {
		return 0, 0, fmt.Errorf("shamir: share of %d bytes is shorter than its header", len(b))
	}
	x = int(binary.BigEndian.Uint16(b))
	if x == 0 {
		return 0, 0, fmt.Errorf("shamir: x coordinate 0 is not positive")
	}
	count := uint64(binary.BigEndian.Uint32(b[2:]))
	if rest := uint64(len(b) - shareHeader); rest != count*uint64(size) {
		return 0, 0, fmt.Errorf("shamir: share %d: %d values need %d bytes, got %d", x, count, count*uint64(size), rest)
	}
	return x, int(count), nil
}

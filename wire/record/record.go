// Package record is the part of the wire protocol that the epoch computes
// on: a record's day and one party's share of its values, with the share's
// 96-byte encoding. It imports only the MPC core (mpc/group, mpc/field), so
// that the epoch, which may import nothing else, can carry the same type
// (mpc/deps_test.go).
package record

import (
	"errors"
	"fmt"
	"time"

	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
)

// Day is a UTC day, counted in days since 1970-01-01: the day of a record
// on the wire, in the party's store and in the epoch.
type Day uint32

// DayOf returns the UTC day containing t, which must not be before 1970.
func DayOf(t time.Time) Day { return Day(t.Unix() / 86400) }

// Time returns midnight UTC at the start of d.
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String returns d as YYYY-MM-DD.
func (d Day) String() string { return d.Time().Format(time.DateOnly) }

// ShareSize is the size of a share's encoding: a point and two scalars.
const ShareSize = group.Size + 2*field.ScalarSize

// Share is one party's share of one record's values: Shamir shares at the
// party's x coordinate of the record's key point, its weight (a share of
// zero for ordinary records) and its minutes.
type Share struct {
	Point   group.Point
	Weight  field.Scalar
	Minutes field.Scalar
}

// AppendShare appends the 96-byte share encoding point || weight || minutes,
// the form the party stores and the epoch reads.
func (s *Share) AppendShare(b []byte) []byte {
	b = group.AppendVec(b, []group.Point{s.Point})
	return field.ScalarField{}.Append(b, []field.Scalar{s.Weight, s.Minutes})
}

// ErrBadShare is wrapped by errors for a share that is not the canonical
// encoding of a point and two scalars.
var ErrBadShare = errors.New("wire: non-canonical share encoding")

// DecodeShare parses a 96-byte share made by AppendShare, rejecting
// non-canonical encodings.
func DecodeShare(b []byte) (Share, error) {
	var p [1]group.Point
	var sc [2]field.Scalar
	if len(b) != ShareSize {
		return Share{}, fmt.Errorf("%w: %d bytes, want %d", ErrBadShare, len(b), ShareSize)
	}
	if err := group.DecodeVec(p[:], b[:group.Size]); err != nil {
		return Share{}, fmt.Errorf("%w: point: %v", ErrBadShare, err)
	}
	if err := (field.ScalarField{}).Decode(sc[:], b[group.Size:]); err != nil {
		return Share{}, fmt.Errorf("%w: scalar: %v", ErrBadShare, err)
	}
	return Share{Point: p[0], Weight: sc[0], Minutes: sc[1]}, nil
}

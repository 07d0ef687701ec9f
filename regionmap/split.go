package regionmap

import (
	"errors"
	"fmt"
	"io"

	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/shamir"
)

// F is the field of the region map, GF(2^61-1).
var F = field.M61Field{}

// Day is one participant-day in the clear. Values other than 0 and 1 are
// allowed here only so that tests can play a malicious client: the parties
// reject them.
type Day struct {
	Presence []uint64 // per manifest region: 1 if present that day
	Positive uint64   // 1 for a verified positive participant; needs a code
	Coded    bool     // the upload carries an authority code
}

// Shares is one party's shares of one participant-day.
type Shares struct {
	Presence []field.M61
	Positive field.M61 // zero when the upload has no code
}

// Split shares d for n parties with threshold t (party i+1 gets out[i]),
// with randomness from rnd. Without a code the positive bit is not shared:
// it must be 0.
func Split(t, n int, d Day, rnd io.Reader) ([]Shares, error) {
	if len(d.Presence) == 0 {
		return nil, errors.New("regionmap: no regions")
	}
	if !d.Coded && d.Positive != 0 {
		return nil, errors.New("regionmap: a positive bit needs an authority code")
	}
	vals := make([]field.M61, len(d.Presence)+1)
	for i, v := range d.Presence {
		vals[i] = F.FromUint64(v)
	}
	vals[len(d.Presence)] = F.FromUint64(d.Positive)
	sh, err := shamir.Split(F, t, n, vals, rnd)
	if err != nil {
		return nil, fmt.Errorf("regionmap: %w", err)
	}
	out := make([]Shares, n)
	for _, s := range sh {
		o := Shares{Presence: s.Y[:len(d.Presence)]}
		if d.Coded {
			o.Positive = s.Y[len(d.Presence)]
		}
		out[s.X-1] = o
	}
	return out, nil
}

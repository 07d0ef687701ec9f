package mpc

import (
	"context"
	"errors"
	"fmt"

	"github.com/safetrace/safetrace/mpc/shamir"
)

// Open reveals the secrets shared by x to every party, in one round. Every
// party sends its shares to every other; with more than t+1 parties the
// shares are checked to lie on one degree-t polynomial, and an error wrapping
// ErrInconsistent is returned otherwise.
func (p *Party[E]) Open(ctx context.Context, x []E) ([]E, error) {
	in, err := p.Broadcast(ctx, p.F.Append(make([]byte, 0, len(x)*p.F.ElemSize()), x))
	if err != nil {
		return nil, err
	}
	shares := make([]shamir.Share[E], 0, p.n)
	for j := 1; j <= p.n; j++ {
		y := x
		if j != p.id {
			y = make([]E, len(x))
			if err := p.decodeFrom(j, y, in[j-1]); err != nil {
				return nil, err
			}
		}
		shares = append(shares, shamir.Share[E]{X: j, Y: y})
	}
	v, err := shamir.Reconstruct(p.F, p.T, shares)
	if errors.Is(err, shamir.ErrInconsistent) {
		return nil, fmt.Errorf("%w: %v", ErrInconsistent, err)
	}
	return v, err
}

// Input shares values owned by party owner with everybody in one round. The
// owner passes its m values; the others pass nil and the count m. Each party
// gets its shares of the values.
func (p *Party[E]) Input(ctx context.Context, owner int, values []E, m int) ([]E, error) {
	if owner < 1 || owner > p.n {
		return nil, fmt.Errorf("mpc: input owner %d out of range", owner)
	}
	out := make([][]byte, p.n)
	var own []E
	if owner == p.id {
		if len(values) != m {
			return nil, fmt.Errorf("mpc: input: %d values, announced %d", len(values), m)
		}
		shares, err := shamir.Split(p.F, p.T, p.n, values, p.rnd)
		if err != nil {
			return nil, fmt.Errorf("mpc: %w", err)
		}
		for _, s := range shares {
			if s.X == p.id {
				own = s.Y
				continue
			}
			out[s.X-1] = p.F.Append(nil, s.Y)
		}
	}
	from := make([]bool, p.n)
	from[owner-1] = owner != p.id
	in, err := p.exchangeFrom(ctx, out, from)
	if err != nil {
		return nil, err
	}
	if owner == p.id {
		return own, nil
	}
	own = make([]E, m)
	return own, p.decodeFrom(owner, own, in[owner-1])
}

// Deal has every party share m values of its own at once, in one round.
// values is this party's m values; the result's entry j-1 holds this party's
// shares of party j's values.
func (p *Party[E]) Deal(ctx context.Context, values []E) ([][]E, error) {
	m := len(values)
	shares, err := shamir.Split(p.F, p.T, p.n, values, p.rnd)
	if err != nil {
		return nil, fmt.Errorf("mpc: %w", err)
	}
	out := make([][]byte, p.n)
	res := make([][]E, p.n)
	for _, s := range shares {
		if s.X == p.id {
			res[p.id-1] = s.Y
			continue
		}
		out[s.X-1] = p.F.Append(nil, s.Y)
	}
	in, err := p.exchange(ctx, out)
	if err != nil {
		return nil, err
	}
	if err := p.decodeEach(res, in, p.n, m); err != nil {
		return nil, err
	}
	return res, nil
}

// RandomKey returns shares of m secrets that no coalition of t parties knows:
// every party deals m random values and the key is their sum. Unlike PRSS it
// needs no prior setup, so a fresh key (such as the epoch key) is
// independent of all earlier randomness.
func (p *Party[E]) RandomKey(ctx context.Context, m int) ([]E, error) {
	mine := make([]E, m)
	if err := p.F.Random(mine, p.rnd); err != nil {
		return nil, err
	}
	dealt, err := p.Deal(ctx, mine)
	if err != nil {
		return nil, err
	}
	key := make([]E, m)
	for _, d := range dealt {
		p.F.AddVec(key, key, d)
	}
	return key, nil
}

// split returns the n share vectors of a fresh degree-t sharing of values.
func (p *Party[E]) split(values []E) ([][]E, error) {
	shares, err := shamir.Split(p.F, p.T, p.n, values, p.rnd)
	if err != nil {
		return nil, fmt.Errorf("mpc: %w", err)
	}
	out := make([][]E, p.n)
	for _, s := range shares {
		out[s.X-1] = s.Y
	}
	return out, nil
}

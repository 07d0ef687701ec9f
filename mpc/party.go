package mpc

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/shamir"
)

// Conn is the message layer the protocols run on: authenticated, ordered
// channels between parties 1..n (package mpc/transport implements it in
// process and over TLS).
type Conn interface {
	ID() int
	N() int
	Send(ctx context.Context, to int, msg []byte) error
	Recv(ctx context.Context, from int) ([]byte, error)
}

// Party is one participant of an n-party computation over field F with
// threshold t. A Party is not safe for concurrent use: protocols are run one
// after another, in the same order at every party.
type Party[E comparable] struct {
	F    field.Field[E]
	T    int
	conn Conn
	id   int
	n    int

	rnd io.Reader // local randomness

	// lambda[j-1] is the Lagrange coefficient of party j for evaluating at 0
	// a polynomial of degree < n from all n shares.
	lambda []E
	prss   []prssKey
	rounds int
	sent   int64
}

// New sets up party conn.ID() for a computation over f with threshold t. It
// runs one round to agree on PRSS keys with the other parties, so every party
// must call New with the same f and t.
func New[E comparable](ctx context.Context, f field.Field[E], t int, conn Conn) (*Party[E], error) {
	n, id := conn.N(), conn.ID()
	if err := shamir.CheckParams(f, t, n); err != nil {
		return nil, fmt.Errorf("mpc: %w", err)
	}
	if n < 2*t+1 {
		return nil, fmt.Errorf("mpc: need n >= 2t+1, got n=%d t=%d", n, t)
	}
	if id < 1 || id > n {
		return nil, fmt.Errorf("mpc: party id %d out of range 1..%d", id, n)
	}
	p := &Party[E]{F: f, T: t, conn: conn, id: id, n: n}
	var seed [32]byte
	if _, err := io.ReadFull(rand.Reader, seed[:]); err != nil {
		return nil, err
	}
	p.rnd = newStream(seed[:], []byte("local"))
	all := make([]int, n)
	for i := range all {
		all[i] = i + 1
	}
	var err error
	if p.lambda, err = shamir.Lagrange(f, all, 0); err != nil {
		return nil, fmt.Errorf("mpc: %w", err)
	}
	if err := p.setupPRSS(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// ID returns the party's id, 1..n.
func (p *Party[E]) ID() int { return p.id }

// N returns the number of parties.
func (p *Party[E]) N() int { return p.n }

// Rounds returns the number of communication rounds run so far.
func (p *Party[E]) Rounds() int { return p.rounds }

// BytesSent returns the number of payload bytes sent so far.
func (p *Party[E]) BytesSent() int64 { return p.sent }

// Exchange runs one custom round for protocols built on top of this
// package: out[j-1] goes to party j (nil: nothing is sent to j), and a
// message is received from every peer j with from == nil or from[j-1] set.
// in[id-1] is nil. It counts as a round in [Party.Rounds].
func (p *Party[E]) Exchange(ctx context.Context, out [][]byte, from []bool) ([][]byte, error) {
	if out != nil && len(out) != p.n {
		return nil, fmt.Errorf("mpc: exchange needs %d messages, got %d", p.n, len(out))
	}
	return p.exchangeFrom(ctx, out, from)
}

// Broadcast runs one round in which this party sends msg to every peer and
// receives one message from each; in[id-1] is msg. msg must not be modified
// afterwards.
func (p *Party[E]) Broadcast(ctx context.Context, msg []byte) ([][]byte, error) {
	out := make([][]byte, p.n)
	for j := range out {
		if j+1 != p.id {
			out[j] = msg
		}
	}
	in, err := p.exchange(ctx, out)
	if err != nil {
		return nil, err
	}
	in[p.id-1] = msg
	return in, nil
}

// Lambda returns the Lagrange coefficient of party j (1..n) for evaluating
// at 0 a polynomial of degree below n from the shares of all n parties.
func (p *Party[E]) Lambda(j int) E { return p.lambda[j-1] }

// Rand returns the party's local source of randomness (AES-CTR keyed from
// crypto/rand). It is not safe for concurrent use.
func (p *Party[E]) Rand() io.Reader { return p.rnd }

// newStream returns an AES-256-CTR key stream keyed by key and labelled by
// label (used as the IV), the PRG behind local randomness and PRSS.
func newStream(key, label []byte) io.Reader {
	block, err := aes.NewCipher(key[:32])
	if err != nil {
		panic(err) // key length is fixed above
	}
	iv := make([]byte, aes.BlockSize)
	copy(iv, label)
	return &cipher.StreamReader{S: cipher.NewCTR(block, iv), R: zeroReader{}}
}

type zeroReader struct{}

func (zeroReader) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}

// exchange sends out[j-1] to every peer j with out[j-1] != nil and returns
// the message from every peer (in[id-1] is nil). Sends and receives run
// concurrently so large messages cannot deadlock.
func (p *Party[E]) exchange(ctx context.Context, out [][]byte) ([][]byte, error) {
	return p.exchangeFrom(ctx, out, nil)
}

// exchangeFrom is exchange receiving only from the peers j with from[j-1]
// set (from == nil means every peer).
func (p *Party[E]) exchangeFrom(ctx context.Context, out [][]byte, from []bool) ([][]byte, error) {
	p.rounds++
	total := 0
	for _, m := range out {
		total += len(m)
	}
	if total <= smallRound {
		return p.exchangeSmall(ctx, out, from)
	}
	in := make([][]byte, p.n)
	errc := make(chan error, 2*p.n)
	pending := 0
	for j := 1; j <= p.n; j++ {
		if j == p.id {
			continue
		}
		if out != nil && out[j-1] != nil {
			p.sent += int64(len(out[j-1]))
			pending++
			go func(j int, msg []byte) {
				if err := p.conn.Send(ctx, j, msg); err != nil {
					errc <- fmt.Errorf("mpc: send to party %d: %w", j, err)
					return
				}
				errc <- nil
			}(j, out[j-1])
		}
		if from == nil || from[j-1] {
			pending++
			go func(j int) {
				msg, err := p.conn.Recv(ctx, j)
				if err != nil {
					errc <- fmt.Errorf("mpc: receive from party %d: %w", j, err)
					return
				}
				in[j-1] = msg
				errc <- nil
			}(j)
		}
	}
	var first error
	for ; pending > 0; pending-- {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return in, first
}

// smallRound is the size up to which a round's messages are sent one after
// the other and then received one after the other, without goroutines:
// they fit in the transport's buffers, so sending cannot block on a peer
// that is itself sending, and latency-bound rounds (small multiplications,
// comparisons' last levels) save the goroutine hand-offs.
const smallRound = 32 << 10

func (p *Party[E]) exchangeSmall(ctx context.Context, out [][]byte, from []bool) ([][]byte, error) {
	in := make([][]byte, p.n)
	for j := 1; j <= p.n; j++ {
		if j == p.id || out == nil || out[j-1] == nil {
			continue
		}
		p.sent += int64(len(out[j-1]))
		if err := p.conn.Send(ctx, j, out[j-1]); err != nil {
			return nil, fmt.Errorf("mpc: send to party %d: %w", j, err)
		}
	}
	for j := 1; j <= p.n; j++ {
		if j == p.id || !(from == nil || from[j-1]) {
			continue
		}
		msg, err := p.conn.Recv(ctx, j)
		if err != nil {
			return nil, fmt.Errorf("mpc: receive from party %d: %w", j, err)
		}
		in[j-1] = msg
	}
	return in, nil
}

// decodeFrom decodes exactly len(dst) elements sent by party j.
func (p *Party[E]) decodeFrom(j int, dst []E, msg []byte) error {
	if err := p.F.Decode(dst, msg); err != nil {
		return fmt.Errorf("mpc: message from party %d: %w", j, err)
	}
	return nil
}

// decodeEach decodes the m elements in[j-1] from each party j in 1..d
// other than this one into a new res[j-1].
func (p *Party[E]) decodeEach(res [][]E, in [][]byte, d, m int) error {
	for j := 1; j <= d; j++ {
		if j == p.id {
			continue
		}
		res[j-1] = make([]E, m)
		if err := p.decodeFrom(j, res[j-1], in[j-1]); err != nil {
			return err
		}
	}
	return nil
}

// ErrInconsistent is returned by Open when the shares received do not lie on
// one polynomial of degree t: some message was lost, altered or computed
// wrongly.
var ErrInconsistent = errors.New("mpc: opened shares are inconsistent")

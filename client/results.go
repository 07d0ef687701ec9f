package client

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/shamir"
	"github.com/safetrace/safetrace/relay/relayclient"
	"github.com/safetrace/safetrace/wire"
)

// seenSeqs remembers, per party, the highest result sequence number
// received, for AckResults.
type seenSeqs struct {
	mu  sync.Mutex
	seq map[int]uint64
}

func (s *seenSeqs) note(party int, seq uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seq == nil {
		s.seq = make(map[int]uint64)
	}
	s.seq[party] = max(s.seq[party], seq)
}

func (s *seenSeqs) get(party int) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq[party]
}

// Result is one reconstructed result: a value per day.
type Result struct {
	ID     [wire.IDSize]byte
	Days   []uint32
	Values []uint64 // Values[i] is the result for Days[i]
	// Parties are the parties whose shares were used.
	Parties []int
}

// AtRisk returns the days of r on which persons' reports put the user at
// risk, for a result of the exposure epoch (per user-day person + 2*venue,
// two shared bits). A value above 3 is an error: the shares were wrong.
func (r *Result) AtRisk() ([]uint32, error) {
	person, _, err := r.Classes()
	return person, err
}

// Classes returns the days of r at risk from persons' reports and the days
// a venue warning reached, for a result of the exposure epoch.
func (r *Result) Classes() (person, venue []uint32, err error) {
	for i, v := range r.Values {
		if v > 3 {
			return nil, nil, fmt.Errorf("client: result %x: value %d for day %d is not two bits", r.ID[:4], v, r.Days[i])
		}
		if v&1 != 0 {
			person = append(person, r.Days[i])
		}
		if v&2 != 0 {
			venue = append(venue, r.Days[i])
		}
	}
	return person, venue, nil
}

// Results is the outcome of FetchResults.
type Results struct {
	Results []Result
	// Answered lists the parties that answered.
	Answered []int
	// Inconsistent lists the parties whose share of some result did not
	// lie on the polynomial of the others' (or whose blob did not open):
	// their shares were not used.
	Inconsistent []int
	// Unresolved lists the ids of results whose shares disagree without
	// the culprit being certain (with n = 3, t = 1 a single bad share
	// cannot be told from a good one); they are not in Results.
	Unresolved [][wire.IDSize]byte
}

// FetchResults asks every party for its sealed result shares, opens them
// with the result key and reconstructs each result from the parties that
// hold it. It waits for all n parties, or for t+1 plus WithResultsGrace, or
// until ctx is done; it fails if fewer than t+1 answered. With more than
// t+1 shares it checks their consistency: a share off the polynomial is
// reported in Inconsistent and never used.
func (c *Client) FetchResults(ctx context.Context) (*Results, error) {
	shares, answered, bad, err := c.collect(ctx, 0)
	if err != nil {
		return nil, err
	}
	res := &Results{Answered: answered, Inconsistent: bad}
	ids := make([][wire.IDSize]byte, 0, len(shares))
	for id := range shares {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b [wire.IDSize]byte) int { return slices.Compare(a[:], b[:]) })
	for _, id := range ids {
		r, culprits, err := c.reconstruct(id, shares[id])
		res.Inconsistent = append(res.Inconsistent, culprits...)
		if err != nil {
			c.log.Warn("result not reconstructed", "err", err)
			res.Unresolved = append(res.Unresolved, id)
			continue
		}
		res.Results = append(res.Results, *r)
	}
	slices.Sort(res.Inconsistent)
	res.Inconsistent = slices.Compact(res.Inconsistent)
	return res, nil
}

// AckResults tells every party to delete the result blobs this client has
// received (DESIGN.md 4.5). Parties that do not answer before ctx is done
// keep them until they expire.
func (c *Client) AckResults(ctx context.Context) error {
	_, _, _, err := c.collect(ctx, 1)
	return err
}

// collect runs one ResultRequest per party (with retries) and returns the
// opened shares by result id and party.
func (c *Client) collect(ctx context.Context, ack int) (map[[wire.IDSize]byte]map[int]*wire.ResultShare, []int, []int, error) {
	n, t := c.m.N, c.m.T
	rk, err := wire.NewReplyKey()
	if err != nil {
		return nil, nil, nil, err
	}
	type answer struct {
		party int
		resp  *wire.ResultResponse
		err   error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan answer, n)
	for party := 1; party <= n; party++ {
		q := &wire.ResultRequest{ReplyKey: rk.Public()}
		copy(q.Token[:], c.st.Token)
		if ack > 0 {
			q.DeleteThrough = c.seen.get(party)
		}
		req, _ := q.AppendBinary(nil)
		go func() {
			for attempt := 0; ; attempt++ {
				msg, err := c.call(ctx, party, req, rk)
				if err == nil {
					if r, ok := msg.(*wire.ResultResponse); ok {
						ch <- answer{party: party, resp: r}
						return
					}
					err = fmt.Errorf("client: party %d answered a result request with a %v", party, msg.Type())
				}
				if !retryable(ctx, err) || !relayclient.Sleep(ctx, c.backoff(attempt)) {
					ch <- answer{party: party, err: err}
					return
				}
			}
		}()
	}
	shares := make(map[[wire.IDSize]byte]map[int]*wire.ResultShare)
	var answered, bad []int
	var grace <-chan time.Time
	var lastErr error
	for got := 0; got < n; got++ {
		var a answer
		select {
		case a = <-ch:
		case <-grace:
			cancel()
			a = <-ch
		}
		if a.err != nil {
			lastErr = a.err
			continue
		}
		answered = append(answered, a.party)
		if len(answered) == t+1 && grace == nil {
			grace = time.After(c.grace)
		}
		for _, b := range a.resp.Results {
			c.seen.note(a.party, b.Seq)
			pt, err := wire.OpenResult(c.rk, c.m, a.party, b.Blob)
			var s *wire.ResultShare
			if err == nil {
				s, err = wire.DecodeResultShare(pt)
			}
			if err != nil || int(s.Party) != a.party {
				c.log.Warn("bad result blob", "party", a.party, "err", err)
				bad = append(bad, a.party)
				continue
			}
			if shares[s.ID] == nil {
				shares[s.ID] = make(map[int]*wire.ResultShare)
			}
			shares[s.ID][a.party] = s
		}
	}
	slices.Sort(answered)
	if len(answered) < t+1 {
		return nil, answered, bad, fmt.Errorf("client: only %d of the %d parties answered, %d needed: %w", len(answered), n, t+1, lastErr)
	}
	return shares, answered, bad, nil
}

// reconstruct combines the shares of one result. It returns the parties it
// found inconsistent.
func (c *Client) reconstruct(id [wire.IDSize]byte, byParty map[int]*wire.ResultShare) (*Result, []int, error) {
	t := c.m.T
	// Parties must agree on the days; the largest group of equal days wins.
	groups := map[string][]int{}
	for p, s := range byParty {
		k := fmt.Sprint(s.Days)
		groups[k] = append(groups[k], p)
	}
	var best []int
	for _, ps := range groups {
		if len(ps) > len(best) || len(ps) == len(best) && slices.Min(ps) < slices.Min(best) {
			best = ps
		}
	}
	slices.Sort(best)
	var culprits []int
	for p := range byParty {
		if !slices.Contains(best, p) {
			culprits = append(culprits, p)
		}
	}
	if len(best) < t+1 {
		return nil, culprits, fmt.Errorf("client: result %x: %d consistent shares, %d needed", id[:4], len(best), t+1)
	}
	var sf field.ScalarField
	for {
		sh := make([]shamir.Share[field.Scalar], len(best))
		for i, p := range best {
			sh[i] = shamir.Share[field.Scalar]{X: p, Y: byParty[p].Values}
		}
		vals, err := shamir.Reconstruct(sf, t, sh)
		var ie *shamir.InconsistentError
		if errors.As(err, &ie) && len(ie.Bad) > 0 {
			before := len(best)
			best = slices.DeleteFunc(best, func(p int) bool { return slices.Contains(ie.Bad, p) })
			if len(best) < before && len(best) >= t+1 {
				culprits = append(culprits, ie.Bad...)
				continue
			}
		}
		if err != nil {
			return nil, culprits, fmt.Errorf("client: result %x: %w", id[:4], err)
		}
		r := &Result{ID: id, Days: byParty[best[0]].Days, Values: make([]uint64, len(vals)), Parties: best}
		for i, v := range vals {
			b := sf.Append(nil, []field.Scalar{v})
			for _, x := range b[8:] {
				if x != 0 {
					return nil, culprits, fmt.Errorf("client: result %x: value does not fit 64 bits (corrupt share?)", id[:4])
				}
			}
			r.Values[i] = binary.LittleEndian.Uint64(b)
		}
		return r, culprits, nil
	}
}

package client

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"

	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/shamir"
	"github.com/safetrace/safetrace/relay/relayclient"
	"github.com/safetrace/safetrace/wire"
)

// UploadRegions shares one participant-day for the region map
// (docs/regionmap.md) over GF(2^61-1) and sends party i its shares until
// every party returned a valid receipt, like Send. presence has one value
// per manifest region (1 if the participant was there on day, else 0);
// positive is 1 only for a verified positive participant and needs the
// authority code; without a code it must be 0 and is not sent. The parties
// leave out an upload whose values are not all 0 or 1; the client does not
// check, so that tests can play a malicious client.
func (c *Client) UploadRegions(ctx context.Context, day uint32, code string, presence []uint64, positive uint64) (*UploadStatus, error) {
	n, t := c.m.N, c.m.T
	if len(presence) != len(c.m.Params.Regions) {
		return nil, fmt.Errorf("client: %d presence values, the manifest has %d regions", len(presence), len(c.m.Params.Regions))
	}
	if code == "" && positive != 0 {
		return nil, errors.New("client: a positive bit needs an authority code")
	}
	var f field.M61Field
	vals := make([]field.M61, len(presence)+1)
	for i, v := range presence {
		vals[i] = f.FromUint64(v)
	}
	vals[len(presence)] = f.FromUint64(positive)
	sh, err := shamir.Split(f, t, n, vals, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	u := wire.RegionUpload{Day: day, Code: code}
	rand.Read(u.ID[:])
	reqs := make([][]byte, n)
	for _, s := range sh {
		u.Presence = s.Y[:len(presence)]
		u.Positive = 0
		if code != "" {
			u.Positive = s.Y[len(presence)]
		}
		if reqs[s.X-1], err = u.AppendBinary(nil); err != nil {
			return nil, fmt.Errorf("client: %w", err)
		}
	}
	return c.sendRegions(ctx, u.ID, len(presence), reqs)
}

func (c *Client) sendRegions(ctx context.Context, id [wire.IDSize]byte, count int, reqs [][]byte) (*UploadStatus, error) {
	n := c.m.N
	st := &UploadStatus{UploadID: id, Records: count, Receipts: make([]*wire.Receipt, n)}
	todo := make([]bool, n)
	for i := range todo {
		todo[i] = true
	}
	got, firstErr := c.toParties(ctx, todo, func(ctx context.Context, party int, rk *wire.ReplyKey) (*wire.Receipt, error) {
		return c.sendRegionOne(ctx, party, reqs[party-1], rk)
	})
	copy(st.Receipts, got)
	st.Complete = firstErr == nil
	if !st.Complete {
		return st, fmt.Errorf("client: region upload %x incomplete: %w", id[:4], firstErr)
	}
	return st, nil
}

func (c *Client) sendRegionOne(ctx context.Context, party int, req []byte, rk *wire.ReplyKey) (*wire.Receipt, error) {
	u, hash, err := wire.DecodeRegionUpload(req)
	if err != nil {
		return nil, err
	}
	u.ReplyKey = rk.Public()
	if req, err = u.AppendBinary(nil); err != nil {
		return nil, err
	}
	return c.receipt(ctx, party, req, rk, "region upload", u.ID, hash, len(u.Presence))
}

// RegionMap is a released region map as every party serves it.
type RegionMap = wire.RegionMapResponse

// FetchRegionMap asks every party for the released region map of day (0:
// the latest) and returns it if all n parties answer with the same map;
// otherwise it returns an error naming the disagreement. Day 0 in the
// result means that no map was released.
func (c *Client) FetchRegionMap(ctx context.Context, day uint32) (*RegionMap, error) {
	n := c.m.N
	maps := make([]*wire.RegionMapResponse, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			for attempt := 0; ; attempt++ {
				rk, err := wire.NewReplyKey()
				if err != nil {
					errs[i] = err
					return
				}
				req, _ := (&wire.RegionMapRequest{ReplyKey: rk.Public(), Day: day}).AppendBinary(nil)
				msg, err := c.call(ctx, i+1, req, rk)
				if err == nil {
					m, ok := msg.(*wire.RegionMapResponse)
					if ok {
						maps[i] = m
						return
					}
					err = fmt.Errorf("party %d answered with a %v", i+1, msg.Type())
				}
				if !retryable(ctx, err) || !relayclient.Sleep(ctx, c.backoff(attempt)) {
					errs[i] = fmt.Errorf("party %d: %w", i+1, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("client: region map: %w", err)
	}
	first, _ := maps[0].AppendBinary(nil)
	for i := 1; i < n; i++ {
		b, _ := maps[i].AppendBinary(nil)
		if string(b) != string(first) {
			return nil, fmt.Errorf("client: region map: parties 1 and %d disagree (days %d and %d)", i+1, maps[0].Day, maps[i].Day)
		}
	}
	return maps[0], nil
}

package regionmap

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"

	"github.com/safetrace/safetrace/mpc"
	"github.com/safetrace/safetrace/mpc/field"
)

// ID is an upload id.
type ID = [16]byte

// Batch is the upload ids one party holds for one day.
type Batch struct {
	Day uint32
	IDs []ID
}

// Agree runs one round in which every party sends the upload ids it holds
// per day, and returns, for the union of the days (ascending), the ids held
// by every party, sorted. An upload that not every party holds is left out
// of this run (it was not complete: the client still lacked a receipt).
func Agree(ctx context.Context, p *mpc.Party[field.M61], mine []Batch) ([]Batch, error) {
	msg := encodeBatches(mine)
	out := make([][]byte, p.N())
	for j := range out {
		if j+1 != p.ID() {
			out[j] = msg
		}
	}
	in, err := p.Exchange(ctx, out, nil)
	if err != nil {
		return nil, err
	}
	all := make([][]Batch, p.N())
	for j := range all {
		if j+1 == p.ID() {
			all[j] = mine
			continue
		}
		if all[j], err = decodeBatches(in[j]); err != nil {
			return nil, fmt.Errorf("regionmap: ids from party %d: %w", j+1, err)
		}
	}
	// count[day][id] = number of parties holding it
	count := map[uint32]map[ID]int{}
	for _, bs := range all {
		for _, b := range bs {
			c := count[b.Day]
			if c == nil {
				c = map[ID]int{}
				count[b.Day] = c
			}
			seen := map[ID]bool{}
			for _, id := range b.IDs {
				if !seen[id] {
					seen[id] = true
					c[id]++
				}
			}
		}
	}
	var res []Batch
	for _, day := range slices.Sorted(maps.Keys(count)) {
		b := Batch{Day: day, IDs: []ID{}}
		for id, n := range count[day] {
			if n == p.N() {
				b.IDs = append(b.IDs, id)
			}
		}
		slices.SortFunc(b.IDs, func(x, y ID) int { return bytes.Compare(x[:], y[:]) })
		res = append(res, b)
	}
	return res, nil
}

func encodeBatches(bs []Batch) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(bs)))
	for _, x := range bs {
		b = binary.BigEndian.AppendUint32(b, x.Day)
		b = binary.BigEndian.AppendUint32(b, uint32(len(x.IDs)))
		for _, id := range x.IDs {
			b = append(b, id[:]...)
		}
	}
	return b
}

func decodeBatches(b []byte) ([]Batch, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("truncated")
	}
	n := binary.BigEndian.Uint32(b)
	b = b[4:]
	if uint64(n)*8 > uint64(len(b)) {
		return nil, fmt.Errorf("%d days in %d bytes", n, len(b))
	}
	out := make([]Batch, n)
	for i := range out {
		if len(b) < 8 {
			return nil, fmt.Errorf("truncated")
		}
		out[i].Day = binary.BigEndian.Uint32(b)
		c := binary.BigEndian.Uint32(b[4:])
		b = b[8:]
		if uint64(c)*16 > uint64(len(b)) {
			return nil, fmt.Errorf("%d ids in %d bytes", c, len(b))
		}
		out[i].IDs = make([]ID, c)
		for j := range out[i].IDs {
			copy(out[i].IDs[j][:], b[16*j:])
		}
		b = b[16*c:]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(b))
	}
	return out, nil
}

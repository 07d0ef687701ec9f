package compute

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/safetrace/safetrace/party/store"
)

// ID names one input in the record-set agreement. Computations choose its
// form: a digest of every public field of a record (exposure), or the day
// and upload id of a run input (region map).
type ID = [sha256.Size]byte

// Broadcaster is the part of an mpc.Party that [Agree] uses.
type Broadcaster interface {
	ID() int
	N() int
	Broadcast(ctx context.Context, msg []byte) ([][]byte, error)
}

// Agree is the record-set agreement (DESIGN.md 4.3 step 1): every party
// calls it with the ids of the inputs it holds, sorted and without
// duplicates, and gets back the ids every party holds (common, in order) and
// those any party holds (union, sorted). The parties compare a digest of
// their ids first and exchange the ids only when the digests differ, so an
// agreement among parties that hold the same inputs costs one small round.
func Agree(ctx context.Context, p Broadcaster, ids []ID) (common, union []ID, err error) {
	if !slices.IsSortedFunc(ids, func(a, b ID) int { return bytes.Compare(a[:], b[:]) }) {
		return nil, nil, fmt.Errorf("compute: agreement ids are not sorted")
	}
	h := sha256.New()
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(ids))))
	for _, id := range ids {
		h.Write(id[:])
	}
	in, err := p.Broadcast(ctx, h.Sum(nil))
	if err != nil {
		return nil, nil, err
	}
	same := true
	for _, d := range in {
		same = same && bytes.Equal(d, in[p.ID()-1])
	}
	if same {
		return ids, ids, nil
	}
	msg := make([]byte, 0, len(ids)*len(ID{}))
	for _, id := range ids {
		msg = append(msg, id[:]...)
	}
	if in, err = p.Broadcast(ctx, msg); err != nil {
		return nil, nil, err
	}
	count := map[ID]int{}
	for j, b := range in {
		if len(b)%len(ID{}) != 0 {
			return nil, nil, fmt.Errorf("compute: agreement ids of party %d: %d bytes", j+1, len(b))
		}
		seen := map[ID]bool{}
		for k := 0; k < len(b); k += len(ID{}) {
			id := ID(b[k : k+len(ID{})])
			if !seen[id] {
				seen[id] = true
				count[id]++
			}
		}
	}
	for id, c := range count {
		union = append(union, id)
		if c == p.N() {
			common = append(common, id)
		}
	}
	cmp := func(a, b ID) int { return bytes.Compare(a[:], b[:]) }
	slices.SortFunc(common, cmp)
	slices.SortFunc(union, cmp)
	return common, union, nil
}

// RecordID is a record's id in the exposure agreement: SHA-256 of every
// public field the parties hold for it (upload id, record id, day, kind and
// user key), so a client that tells the parties different public fields for
// one record gets different ids at different parties, and the record is
// dropped everywhere instead of making the parties' vectors differ.
func RecordID(r *store.Record) ID {
	h := sha256.New()
	h.Write([]byte("safetrace record v1\x00"))
	for _, f := range [][]byte{r.UploadID, r.ID[:], r.ResultKey} {
		h.Write(binary.BigEndian.AppendUint16(nil, uint16(len(f))))
		h.Write(f)
	}
	h.Write(binary.BigEndian.AppendUint32(nil, uint32(r.Day)))
	h.Write([]byte{byte(r.Kind)})
	var id ID
	h.Sum(id[:0])
	return id
}

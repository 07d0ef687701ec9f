// Package regionjob runs the k-anonymous region risk map (package
// regionmap, docs/regionmap.md) as a computation of a party server (package
// compute): it answers region uploads and map requests, keeps the uploads
// of day D as the inputs of run "region-map/in/D" and, once released, the
// map as the only input of run "region-map/out/D"; both expire with the
// retention window. A released day accepts no more uploads: a second map of
// the same day would reveal the difference.
package regionjob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/safetrace/safetrace/compute"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/mpc"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/regionmap"
	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
)

func inRun(d record.Day) string  { return "region-map/in/" + d.String() }
func outRun(d record.Day) string { return "region-map/out/" + d.String() }

// RegionMap is the region map as a compute.Computation of one party, run
// daily at 00:00 UTC over the days before today. Make one per party with
// New: it serialises "is the day open?" with storing an upload, so no
// upload slips in after a run took its snapshot.
type RegionMap struct {
	mu      sync.Mutex
	closing map[record.Day]bool
}

// New returns the region-map computation of one party.
func New() *RegionMap { return &RegionMap{closing: map[record.Day]bool{}} }

// Name returns manifest.ComputationRegionMap.
func (*RegionMap) Name() string { return manifest.ComputationRegionMap }

// Scheduled returns a day.
func (*RegionMap) Scheduled(*manifest.Manifest) time.Duration { return 24 * time.Hour }

func (c *RegionMap) closed(h compute.Host, d record.Day) (bool, error) {
	if c.closing[d] {
		return true, nil
	}
	return h.Inputs().RunExists(outRun(d))
}

// codeID is the id under which a code's use for the region map of day d is
// recorded: a code authorises one positive upload per day, apart from its use
// for a positive report.
func codeID(code [16]byte, d uint32) [16]byte {
	h := sha256.New()
	h.Write([]byte("safetrace region-map code v1\x00"))
	h.Write(code[:])
	h.Write(binary.BigEndian.AppendUint32(nil, d))
	var id [16]byte
	copy(id[:], h.Sum(nil))
	return id
}

// encodeInput is the stored form of one upload: id (16) || coded (1) ||
// positive share (8) || presence shares (8 each).
func encodeInput(u *wire.RegionUpload) []byte {
	b := append([]byte(nil), u.ID[:]...)
	if u.Code != "" {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = field.M61Field{}.Append(b, []field.M61{u.Positive})
	return field.M61Field{}.Append(b, u.Presence)
}

func decodeInput(b []byte, regions int) ([16]byte, regionmap.Input, error) {
	var id [16]byte
	var in regionmap.Input
	if len(b) != 16+1+8*(1+regions) || b[16] > 1 {
		return id, in, fmt.Errorf("stored region input of %d bytes does not fit %d regions", len(b), regions)
	}
	copy(id[:], b)
	in.Coded = b[16] == 1
	var pos [1]field.M61
	if err := (field.M61Field{}).Decode(pos[:], b[17:25]); err != nil {
		return id, in, err
	}
	in.Positive = pos[0]
	in.Presence = make([]field.M61, regions)
	return id, in, field.M61Field{}.Decode(in.Presence, b[25:])
}

// Handlers answers region uploads and region-map requests.
func (c *RegionMap) Handlers(h compute.Host) map[wire.Type]compute.Handler {
	return map[wire.Type]compute.Handler{
		wire.TypeRegionUpload: func(ctx context.Context, req []byte) (wire.Message, error) {
			return c.upload(h, req)
		},
		wire.TypeRegionMapRequest: func(ctx context.Context, req []byte) (wire.Message, error) {
			q, err := wire.DecodeRegionMapRequest(req)
			if err != nil {
				return nil, &wire.Error{Code: wire.CodeBadFrame, Message: err.Error()}
			}
			if q.Day != 0 {
				return Map(h, record.Day(q.Day))
			}
			return Latest(h)
		},
	}
}

// upload stores one participant-day's region shares as an input of the
// day's region-map run.
func (c *RegionMap) upload(h compute.Host, req []byte) (wire.Message, error) {
	u, hash, err := wire.DecodeRegionUpload(req)
	if err != nil {
		return nil, wire.RefusalFor(err)
	}
	if want := len(h.Manifest().Params.Regions); len(u.Presence) != want {
		return nil, &wire.Error{Code: wire.CodeBadFrame, Message: fmt.Sprintf("%d region shares, the manifest has %d regions", len(u.Presence), want)}
	}
	day := record.Day(u.Day)
	return h.Admit(&compute.Admission{
		ID: u.ID, ContentHash: hash, Days: []uint32{u.Day}, Code: u.Code,
		CodeID: func(id [16]byte) [16]byte { return codeID(id, u.Day) },
		Run:    inRun(day), Input: encodeInput(u), Count: len(u.Presence),
		Lock: func() (func(), error) {
			c.mu.Lock()
			if closed, err := c.closed(h, day); err != nil || closed {
				c.mu.Unlock()
				if err == nil {
					err = &wire.Error{Code: wire.CodeBadDay, Message: fmt.Sprintf("the region map of %s is released; it takes no more uploads", day)}
				}
				return nil, err
			}
			return c.mu.Unlock, nil
		},
	})
}

// Latest returns the newest released region map of the retention window,
// or an empty response (Day 0).
func Latest(h compute.Host) (*wire.RegionMapResponse, error) {
	w := h.Manifest().Params.Window(h.Now())
	for d := int64(w.Today) + 1; d >= int64(w.Oldest); d-- {
		m, err := Map(h, record.Day(d))
		if err != nil || m.Day != 0 {
			return m, err
		}
	}
	return &wire.RegionMapResponse{}, nil
}

// Map returns the released region map of day d, or an empty response (Day
// 0) if none was released.
func Map(h compute.Host, d record.Day) (*wire.RegionMapResponse, error) {
	var m *wire.RegionMapResponse
	err := h.Inputs().ForEachRunInput(outRun(d), func(b []byte) error {
		var err error
		m, err = wire.DecodeRegionMapResponse(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	if m == nil {
		m = &wire.RegionMapResponse{}
	}
	return m, nil
}

// Summary is the public summary of a region-map run: the maps it released.
type Summary struct {
	Days []Day `json:"days"`
}

// Day summarises one released map. Uploads and Rejected count people's
// uploads: they are released at k or more and shown as "< k" otherwise.
type Day struct {
	Day      string        `json:"day"`
	Uploads  compute.Count `json:"uploads"`
	Rejected compute.Count `json:"rejected"`
	Released int           `json:"regions_released"` // regions, not people
}

// Run is one attempt of a region-map run.
func (c *RegionMap) Run(ctx context.Context, h compute.Host, run *compute.Run) (compute.Summary, error) {
	p, err := mpc.New(ctx, field.M61Field{}, run.T, run.Conn)
	if err != nil {
		return nil, err
	}
	maps, err := c.Release(ctx, h, p)
	if err != nil {
		return nil, err
	}
	k := h.Manifest().Params.KAnonymity
	sum := Summary{Days: []Day{}}
	for _, m := range maps {
		sum.Days = append(sum.Days, Day{Day: record.Day(m.Day).String(), Uploads: compute.KCount(int(m.Uploads), k),
			Rejected: compute.KCount(int(m.Rejected), k), Released: len(m.Released)})
	}
	return sum, nil
}

// agreementID is a region input's id in the record-set agreement: its day
// and upload id, so that the union tells every party the days held anywhere.
func agreementID(day uint32, upload [16]byte) compute.ID {
	var id compute.ID
	binary.BigEndian.PutUint32(id[:], day)
	copy(id[4:], upload[:])
	return id
}

// Release is this party's side of one region-map run over p: it releases
// the map of every day before today (UTC, by this party's clock) that has
// inputs at some party and no released map, over the uploads held by every
// party; publishes each map as the day's public result and deletes the
// day's inputs, in one transaction. Every party must run it at the same
// time over the same mesh. It returns the maps released.
func (c *RegionMap) Release(ctx context.Context, h compute.Host, p *mpc.Party[field.M61]) ([]*wire.RegionMapResponse, error) {
	m := h.Manifest()
	regions, k := len(m.Params.Regions), m.Params.KAnonymity
	w := m.Params.Window(h.Now())
	in := h.Inputs()
	held := map[compute.ID]regionmap.Input{}
	var mine []compute.ID
	marked := map[record.Day]bool{}
	defer func() {
		c.mu.Lock()
		for d := range marked {
			delete(c.closing, d)
		}
		c.mu.Unlock()
	}()
	mark := func(d record.Day) {
		c.mu.Lock()
		if !c.closing[d] {
			c.closing[d] = true
			marked[d] = true
		}
		c.mu.Unlock()
	}
	pub := &store.Publication{}
	for d := record.Day(w.Oldest); d < record.Day(w.Today); d++ {
		if ok, err := in.RunExists(inRun(d)); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		if released, err := in.RunExists(outRun(d)); err != nil {
			return nil, err
		} else if released {
			// Left over by a crash between storing the map and deleting
			// the inputs.
			pub.DeleteRuns = append(pub.DeleteRuns, inRun(d))
			continue
		}
		mark(d) // before reading: uploads stored from now on are refused
		err := in.ForEachRunInput(inRun(d), func(v []byte) error {
			up, x, err := decodeInput(v, regions)
			if err != nil {
				return err
			}
			id := agreementID(uint32(d), up)
			if _, dup := held[id]; !dup {
				held[id] = x
				mine = append(mine, id)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sortIDs(mine)
	common, union, err := compute.Agree(ctx, p, mine)
	if err != nil {
		return nil, err
	}
	days := map[uint32][]compute.ID{}
	var order []uint32
	for _, id := range union {
		d := binary.BigEndian.Uint32(id[:4])
		if _, ok := days[d]; !ok {
			days[d] = nil
			order = append(order, d)
		}
	}
	for _, id := range common {
		d := binary.BigEndian.Uint32(id[:4])
		days[d] = append(days[d], id)
	}
	// Compute every day first and publish the maps only once all are known,
	// so a failed attempt (which the runner repeats) stores nothing.
	var out []*wire.RegionMapResponse
	for _, day := range order {
		d := record.Day(day)
		mark(d)
		pub.DeleteRuns = append(pub.DeleteRuns, inRun(d))
		ids := days[day]
		if len(ids) == 0 {
			continue
		}
		ins := make([]regionmap.Input, len(ids))
		for i, id := range ids {
			ins[i] = held[id] // every party holds every agreed id
		}
		res, err := regionmap.Compute(ctx, p, ins, regions, k)
		if err != nil {
			return nil, fmt.Errorf("regionjob: region map of %s: %w", d, err)
		}
		rm := &wire.RegionMapResponse{Day: day, Uploads: uint32(len(ins)), Rejected: uint32(res.Rejected()), K: uint32(k)}
		for _, x := range res.Released {
			rm.Released = append(rm.Released, wire.RegionCount{Region: uint16(x.Region), Count: uint32(x.Count)})
		}
		enc, err := rm.AppendBinary(nil)
		if err != nil {
			return nil, err
		}
		pub.Outputs = append(pub.Outputs, store.RunInput{Run: outRun(d), Data: enc})
		out = append(out, rm)
		h.Logger().Info("region map computed", "day", d.String(), "uploads", rm.Uploads, "rejected", rm.Rejected, "released", len(rm.Released), "kappa", res.Kappa)
	}
	if err := h.Publish(pub); err != nil {
		return nil, err
	}
	return out, nil
}

func sortIDs(ids []compute.ID) {
	slices.SortFunc(ids, func(a, b compute.ID) int { return bytes.Compare(a[:], b[:]) })
}

package wire

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/safetrace/safetrace/mpc/field"
)

// Message types of the region-map computation (docs/regionmap.md). They are
// numbered from 20 so that other computations can take 7..19.
const (
	TypeRegionUpload      Type = 20 // request: one participant-day of region bits
	TypeRegionMapRequest  Type = 21 // request: the released map of a day
	TypeRegionMapResponse Type = 22 // reply to RegionMapRequest
)

// Limits of the region-map messages.
const (
	// MaxRegions is the most regions a map may have (manifest.MaxRegions).
	MaxRegions = 10000
	// M61Size is the encoding size of one GF(2^61-1) share.
	M61Size = 8
)

// RegionUpload carries one party's shares of one participant-day: a bit per
// region of the manifest (1 if the participant was there that day) and, with
// an authority code only, a verified-positive bit. The encoding is
//
//	version || type 20 || reply key (32) || upload id (16) || day (4)
//	|| code length (2) || code || region count (2)
//	|| count * presence share (8) || positive share (8, only with a code)
//
// with big-endian integers and shares as canonical little-endian
// GF(2^61-1) elements (field.M61Field). Without a code the party takes the
// positive bit to be the public 0.
type RegionUpload struct {
	ReplyKey [KeySize]byte
	ID       [IDSize]byte // random; the same on every retry and at every party
	Day      uint32       // UTC day, days since 1970-01-01
	Code     string       // authority code, or empty
	Presence []field.M61  // one share per manifest region, in manifest order
	Positive field.M61    // share of the positive bit; zero and not encoded without Code
}

func (*RegionUpload) Type() Type { return TypeRegionUpload }

func (u *RegionUpload) check() error {
	if len(u.Presence) == 0 || len(u.Presence) > MaxRegions {
		return malformed("%d regions, need 1..%d", len(u.Presence), MaxRegions)
	}
	if err := checkText(u.Code, MaxCodeLen, "authority code"); err != nil {
		return err
	}
	if u.Code == "" && u.Positive != 0 {
		return malformed("positive share without an authority code")
	}
	for i, v := range append(u.Presence[:len(u.Presence):len(u.Presence)], u.Positive) {
		if uint64(v) >= field.P61 {
			return malformed("share %d not reduced", i)
		}
	}
	return nil
}

// AppendBinary implements Message.
func (u *RegionUpload) AppendBinary(b []byte) ([]byte, error) {
	if err := u.check(); err != nil {
		return nil, err
	}
	b = append(b, Version, byte(TypeRegionUpload))
	b = append(b, u.ReplyKey[:]...)
	b = append(b, u.ID[:]...)
	b = binary.BigEndian.AppendUint32(b, u.Day)
	b = binary.BigEndian.AppendUint16(b, uint16(len(u.Code)))
	b = append(b, u.Code...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(u.Presence)))
	b = field.M61Field{}.Append(b, u.Presence)
	if u.Code != "" {
		b = field.M61Field{}.Append(b, []field.M61{u.Positive})
	}
	return b, nil
}

// DecodeRegionUpload decodes a RegionUpload strictly and returns its content
// hash: SHA-256 of "safetrace region upload content v1\0" and the encoding
// after the reply key, so that retries with fresh reply keys hash alike and
// never collide with an Upload's hash.
func DecodeRegionUpload(b []byte) (*RegionUpload, [HashSize]byte, error) {
	var h [HashSize]byte
	if err := want(b, TypeRegionUpload); err != nil {
		return nil, h, err
	}
	r := &reader{b: b[2:]}
	u := &RegionUpload{}
	copy(u.ReplyKey[:], r.take(KeySize, "reply key"))
	copy(u.ID[:], r.take(IDSize, "upload id"))
	u.Day = r.u32("day")
	n := int(r.u16("code length"))
	if n > MaxCodeLen {
		return nil, h, malformed("authority code of %d bytes exceeds %d", n, MaxCodeLen)
	}
	u.Code = string(r.take(n, "authority code"))
	count := int(r.u16("region count"))
	if r.err != nil {
		return nil, h, r.err
	}
	if count == 0 || count > MaxRegions {
		return nil, h, malformed("%d regions, need 1..%d", count, MaxRegions)
	}
	u.Presence = make([]field.M61, count)
	if err := (field.M61Field{}).Decode(u.Presence, r.take(count*M61Size, "presence shares")); err != nil && r.err == nil {
		return nil, h, malformed("presence: %v", err)
	}
	if u.Code != "" {
		var p [1]field.M61
		if err := (field.M61Field{}).Decode(p[:], r.take(M61Size, "positive share")); err != nil && r.err == nil {
			return nil, h, malformed("positive: %v", err)
		}
		u.Positive = p[0]
	}
	if err := r.end(); err != nil {
		return nil, h, err
	}
	if err := u.check(); err != nil {
		return nil, h, err
	}
	return u, regionContentHash(b), nil
}

// ContentHash returns the hash DecodeRegionUpload returns for u's encoding.
func (u *RegionUpload) ContentHash() ([HashSize]byte, error) {
	b, err := u.AppendBinary(nil)
	if err != nil {
		return [HashSize]byte{}, err
	}
	return regionContentHash(b), nil
}

func regionContentHash(enc []byte) [HashSize]byte {
	h := sha256.New()
	h.Write([]byte("safetrace region upload content v1\x00"))
	h.Write(enc[requestHdrSize:])
	var out [HashSize]byte
	h.Sum(out[:0])
	return out
}

// RegionMapRequest asks a party for a released region map:
//
//	version || type 21 || reply key (32) || day (4)
//
// Day 0 asks for the latest released map.
type RegionMapRequest struct {
	ReplyKey [KeySize]byte
	Day      uint32
}

func (*RegionMapRequest) Type() Type { return TypeRegionMapRequest }

// AppendBinary implements Message.
func (q *RegionMapRequest) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, Version, byte(TypeRegionMapRequest))
	b = append(b, q.ReplyKey[:]...)
	return binary.BigEndian.AppendUint32(b, q.Day), nil
}

// DecodeRegionMapRequest decodes a RegionMapRequest strictly.
func DecodeRegionMapRequest(b []byte) (*RegionMapRequest, error) {
	if err := want(b, TypeRegionMapRequest); err != nil {
		return nil, err
	}
	r := &reader{b: b[2:]}
	q := &RegionMapRequest{}
	copy(q.ReplyKey[:], r.take(KeySize, "reply key"))
	q.Day = r.u32("day")
	return q, r.end()
}

// RegionCount is one released region: its index in the manifest's region
// list and the number of positive participants present.
type RegionCount struct {
	Region uint16
	Count  uint32
}

// RegionMapResponse is a released region map, public:
//
//	version || type 22 || day (4) || uploads (4) || rejected (4) || k (4)
//	|| count (2) || count * (region (2) || count (4))
//
// Regions are strictly increasing. Day 0 (with everything else zero) means
// that no map was released. Uploads counts the participant-days that entered
// the run, Rejected those left out because a share was not a bit or not
// consistent.
type RegionMapResponse struct {
	Day      uint32
	Uploads  uint32
	Rejected uint32
	K        uint32
	Released []RegionCount
}

func (*RegionMapResponse) Type() Type { return TypeRegionMapResponse }

func (p *RegionMapResponse) check() error {
	if len(p.Released) > MaxRegions {
		return malformed("%d released regions exceed %d", len(p.Released), MaxRegions)
	}
	for i, rc := range p.Released {
		if int(rc.Region) >= MaxRegions {
			return malformed("region %d out of range", rc.Region)
		}
		if i > 0 && rc.Region <= p.Released[i-1].Region {
			return malformed("regions not increasing")
		}
	}
	if p.Day == 0 && (p.Uploads != 0 || p.Rejected != 0 || p.K != 0 || len(p.Released) != 0) {
		return malformed("empty map with content")
	}
	return nil
}

// AppendBinary implements Message.
func (p *RegionMapResponse) AppendBinary(b []byte) ([]byte, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	b = append(b, Version, byte(TypeRegionMapResponse))
	for _, v := range []uint32{p.Day, p.Uploads, p.Rejected, p.K} {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(p.Released)))
	for _, rc := range p.Released {
		b = binary.BigEndian.AppendUint16(b, rc.Region)
		b = binary.BigEndian.AppendUint32(b, rc.Count)
	}
	return b, nil
}

// DecodeRegionMapResponse decodes a RegionMapResponse strictly.
func DecodeRegionMapResponse(b []byte) (*RegionMapResponse, error) {
	if err := want(b, TypeRegionMapResponse); err != nil {
		return nil, err
	}
	r := &reader{b: b[2:]}
	p := &RegionMapResponse{}
	p.Day = r.u32("day")
	p.Uploads = r.u32("uploads")
	p.Rejected = r.u32("rejected")
	p.K = r.u32("k")
	n := int(r.u16("count"))
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 6*n {
		return nil, malformed("%d regions need %d bytes, have %d", n, 6*n, len(r.b))
	}
	p.Released = make([]RegionCount, n)
	for i := range p.Released {
		p.Released[i] = RegionCount{Region: r.u16("region"), Count: r.u32("count")}
	}
	if err := r.end(); err != nil {
		return nil, err
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	return p, nil
}

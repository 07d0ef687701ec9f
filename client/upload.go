package client

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"

	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/group"
	"github.com/safetrace/safetrace/mpc/shamir"
	"github.com/safetrace/safetrace/relay/relayclient"
	"github.com/safetrace/safetrace/trace"
	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
)

// MaxRecords is the most records one upload may carry; split larger sets.
const MaxRecords = wire.MaxRecords

// PendingUpload is an upload prepared for every party, JSON serialisable so
// that a device can persist it and Send it again after a restart. Send
// fills Receipts as they arrive.
//
// Warning: Requests holds every party's shares; together they reveal the
// records.
type PendingUpload struct {
	ID       []byte   `json:"id"`       // the upload id, 16 bytes
	Records  int      `json:"records"`  // number of records
	Requests [][]byte `json:"requests"` // Requests[i] is party i+1's encoded upload, zero reply key
	Receipts [][]byte `json:"receipts"` // Receipts[i] is party i+1's verified encoded receipt, or nil
}

// Complete reports whether every party has receipted the upload.
func (p *PendingUpload) Complete() bool {
	for _, r := range p.Receipts {
		if r == nil {
			return false
		}
	}
	return len(p.Receipts) > 0
}

// UploadStatus is the outcome of Send.
type UploadStatus struct {
	UploadID [wire.IDSize]byte
	Records  int
	// Receipts[i] is party i+1's verified receipt, nil while missing.
	Receipts []*wire.Receipt
	// Complete is true when all n parties receipted: only then do the
	// records count.
	Complete bool
}

// requestOverhead bounds the bytes of an encoded upload request besides its
// code and records (version, type, reply key, id, kind, code length, result
// key, token hash, record count: 121 bytes), for Prepare's buffers.
const requestOverhead = 128

// Prepare shares records (package trace's records, in the clear) for the
// parties and returns the pending upload. Each record's 64-byte key becomes
// its point by the standard hash-to-group (ristretto255 from uniform bytes,
// as the epoch expects); points are shared over ristretto255
// (shamir.SplitPoints), weights and minutes over its scalar field. code is required for positive uploads and
// must be empty otherwise.
func (c *Client) Prepare(kind wire.Kind, code string, records []trace.Record) (*PendingUpload, error) {
	n, t := c.m.N, c.m.T
	if len(records) == 0 || len(records) > MaxRecords {
		return nil, fmt.Errorf("client: %d records: need 1..%d per upload", len(records), MaxRecords)
	}
	if kind == wire.KindOrdinary && code != "" || kind.Reports() && code == "" {
		return nil, errors.New("client: an authority code goes with positive uploads and venue warnings, and only with them")
	}
	if kind != wire.KindOrdinary && !kind.Reports() {
		return nil, fmt.Errorf("client: unknown upload kind %d", kind)
	}
	points := make([]group.Point, len(records))
	scalars := make([]field.Scalar, 2*len(records))
	var sf field.ScalarField
	for i, r := range records {
		if _, err := points[i].SetUniformBytes(r.Key[:]); err != nil {
			return nil, fmt.Errorf("client: record %d: %w", i, err)
		}
		if r.Day < 0 {
			return nil, fmt.Errorf("client: record %d: day %d before 1970", i, r.Day)
		}
		scalars[i] = sf.FromUint64(uint64(r.Weight))
		scalars[len(records)+i] = sf.FromUint64(uint64(r.Minutes))
	}
	ps, err := shamir.SplitPoints(t, n, points, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	ss, err := shamir.Split(sf, t, n, scalars, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	// The record ids in one read: in the browser each read of crypto/rand
	// is a call out to JavaScript.
	idBytes := make([]byte, wire.IDSize*len(records))
	rand.Read(idBytes)
	u := wire.Upload{Kind: kind, Code: code}
	if kind.Reports() {
		// A positive report (or a venue warning) carries nothing of the reporter's pseudonym: a
		// fresh result key that is thrown away and no token hash, so no
		// party can link "tested positive" to the reporter's other uploads
		// (their records count for nobody's result anyway).
		fresh, err := wire.GenerateResultKey()
		if err != nil {
			return nil, fmt.Errorf("client: %w", err)
		}
		copy(u.ResultKey[:], fresh.PublicKey())
	} else {
		u.TokenHash = c.tokenHash()
		copy(u.ResultKey[:], c.rk.PublicKey())
	}
	rand.Read(u.ID[:])
	p := &PendingUpload{ID: append([]byte(nil), u.ID[:]...), Records: len(records),
		Requests: make([][]byte, n), Receipts: make([][]byte, n)}
	// One records slice for every party's request (AppendBinary copies
	// out of it), each request encoded into a buffer of its final size.
	u.Records = make([]wire.Record, len(records))
	size := requestOverhead + len(code) + len(records)*(wire.IDSize+4+record.ShareSize)
	for i := range n {
		if ps[i].X != i+1 || ss[i].X != i+1 {
			return nil, errors.New("client: shares out of order")
		}
		for j, r := range records {
			u.Records[j] = wire.Record{ID: [wire.IDSize]byte(idBytes[wire.IDSize*j:]), Day: record.Day(r.Day), Share: record.Share{Point: ps[i].Y[j],
				Weight: ss[i].Y[j], Minutes: ss[i].Y[len(records)+j]}}
		}
		if p.Requests[i], err = u.AppendBinary(make([]byte, 0, size)); err != nil {
			return nil, fmt.Errorf("client: %w", err)
		}
	}
	return p, nil
}

// Upload prepares records and sends them; see Prepare and Send.
func (c *Client) Upload(ctx context.Context, kind wire.Kind, code string, records []trace.Record) (*UploadStatus, error) {
	p, err := c.Prepare(kind, code, records)
	if err != nil {
		return nil, err
	}
	return c.Send(ctx, p)
}

// Send sends p to every party that has not receipted it yet, through any
// relay, retrying with exponential backoff and jitter (the same upload id
// each time, so retries are idempotent) until all n parties returned a
// receipt whose signature by the party's manifest key verifies and whose
// content hash and count match what was sent. It returns when the upload is
// complete, when a party refuses it for good (a *wire.Error such as code
// used), or when ctx is done; the status says which receipts arrived, and p
// keeps them for a later Send.
func (c *Client) Send(ctx context.Context, p *PendingUpload) (*UploadStatus, error) {
	n := c.m.N
	if len(p.Requests) != n || len(p.Receipts) != n || len(p.ID) != wire.IDSize {
		return nil, errors.New("client: pending upload does not match the deployment")
	}
	st := &UploadStatus{Records: p.Records, Receipts: make([]*wire.Receipt, n)}
	copy(st.UploadID[:], p.ID)
	todo := make([]bool, n)
	for i := range n {
		if p.Receipts[i] != nil {
			if rc, err := wire.DecodeReceipt(p.Receipts[i]); err == nil {
				st.Receipts[i] = rc
				continue
			}
		}
		todo[i] = true
	}
	got, firstErr := c.toParties(ctx, todo, func(ctx context.Context, party int, rk *wire.ReplyKey) (*wire.Receipt, error) {
		return c.sendOne(ctx, party, p.Requests[party-1], rk)
	})
	for i, rc := range got {
		if rc != nil {
			st.Receipts[i] = rc
			p.Receipts[i], _ = rc.AppendBinary(nil)
		}
	}
	st.Complete = p.Complete()
	if !st.Complete {
		if firstErr == nil {
			firstErr = ctx.Err()
		}
		return st, fmt.Errorf("client: upload %x incomplete: %w", p.ID[:4], firstErr)
	}
	return st, nil
}

// sendOne sends one party's upload until it is receipted or refused.
func (c *Client) sendOne(ctx context.Context, party int, req []byte, rk *wire.ReplyKey) (*wire.Receipt, error) {
	u, hash, err := wire.DecodeUploadHash(req)
	if err != nil {
		return nil, fmt.Errorf("client: pending upload: %w", err)
	}
	u.ReplyKey = rk.Public()
	req, err = u.AppendBinary(nil)
	if err != nil {
		return nil, err
	}
	return c.receipt(ctx, party, req, rk, "upload", u.ID, hash, len(u.Records))
}

// receipt sends an upload request to party until it answers with a receipt
// for exactly this upload (id, content hash, count) signed by its manifest
// key, or the error is not worth retrying.
func (c *Client) receipt(ctx context.Context, party int, req []byte, rk *wire.ReplyKey, what string, id [wire.IDSize]byte, hash [wire.HashSize]byte, count int) (*wire.Receipt, error) {
	pub := c.m.Parties[party-1].SignKey
	for attempt := 0; ; attempt++ {
		msg, err := c.call(ctx, party, req, rk)
		if err == nil {
			rc, ok := msg.(*wire.Receipt)
			switch {
			case !ok:
				err = fmt.Errorf("client: party %d answered the %s with a %v", party, what, msg.Type())
			case !rc.Verify(pub, c.mhash) || int(rc.Party) != party:
				err = fmt.Errorf("client: party %d: receipt signature does not verify", party)
			case rc.UploadID != id || rc.ContentHash != hash || int(rc.Records) != count:
				err = fmt.Errorf("client: party %d: receipt does not match the %s", party, what)
			default:
				return rc, nil
			}
		}
		if !retryable(ctx, err) {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("party %d: %w (last error: %v)", party, ctx.Err(), err)
			}
			return nil, fmt.Errorf("party %d: %w", party, err)
		}
		c.log.Debug(what+" attempt failed", "party", party, "attempt", attempt, "err", err)
		if !relayclient.Sleep(ctx, c.backoff(attempt)) {
			return nil, fmt.Errorf("party %d: %w (last error: %v)", party, ctx.Err(), err)
		}
	}
}

// toParties runs send for every party i+1 with todo[i], concurrently, with
// one reply key, and returns the receipts (nil where none came) and the first
// error. A refusal (a *wire.Error) stops the others: the upload cannot
// complete.
func (c *Client) toParties(ctx context.Context, todo []bool, send func(ctx context.Context, party int, rk *wire.ReplyKey) (*wire.Receipt, error)) ([]*wire.Receipt, error) {
	rk, err := wire.NewReplyKey()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make([]*wire.Receipt, len(todo))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for i := range todo {
		if !todo[i] {
			continue
		}
		wg.Go(func() {
			rc, err := send(ctx, i+1, rk)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
					var we *wire.Error
					if errors.As(err, &we) {
						cancel()
					}
				}
				return
			}
			got[i] = rc
		})
	}
	wg.Wait()
	return got, firstErr
}

// RefusalKey names a party's refusal of an upload's authority code for an
// app's messages: "code-used", "code-invalid", "code-expired",
// "code-revoked", or "refused" for any other refusal.
func RefusalKey(c wire.Code) string {
	switch c {
	case wire.CodeCodeUsed:
		return "code-used"
	case wire.CodeCodeInvalid:
		return "code-invalid"
	case wire.CodeCodeExpired:
		return "code-expired"
	case wire.CodeCodeRevoked:
		return "code-revoked"
	}
	return "refused"
}

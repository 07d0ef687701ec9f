package server

import (
	"context"
	"crypto/sha256"
	"time"

	"github.com/safetrace/safetrace/compute"
	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/trace"
	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
)

// handleUpload validates an upload and stores it with its code use in one
// transaction, committed (fsynced) before the receipt is signed.
func (s *Server) handleUpload(ctx context.Context, req []byte) (wire.Message, error) {
	u, hash, err := wire.DecodeUploadHash(req)
	if err != nil {
		return nil, wire.RefusalFor(err)
	}
	if err := wire.CheckResultPublicKey(u.ResultKey[:]); err != nil {
		return nil, werr(wire.CodeBadKey, "%v", err)
	}
	a := &compute.Admission{ID: u.ID, ContentHash: hash, Days: make([]uint32, len(u.Records)),
		Records: make([]store.Record, len(u.Records))}
	// Decoding refused a report without a code (and an ordinary upload
	// with one); the code's purpose defaults to a positive test.
	a.Code = u.Code
	if u.Kind == wire.KindVenueWarning {
		if err := s.checkWarning(u); err != nil {
			return nil, err
		}
		a.Purpose = authority.VenueWarning
	}
	// Records of a positive report count for nobody, so nothing of a user
	// key is stored with them: a client that still sends its own (an older
	// one) is not linked to its report.
	var user []byte
	if !u.Kind.Reports() {
		user = compute.UserKey{ResultKey: u.ResultKey, TokenHash: u.TokenHash}.Bytes()
	}
	// The shares are stored as they came: decoding checked that each is
	// the canonical encoding of a point and two scalars, which is what
	// encoding the decoded share would give again.
	for i := range u.Records {
		r := &u.Records[i]
		a.Days[i] = uint32(r.Day)
		a.Records[i] = store.Record{Record: *r, ResultKey: user, Kind: u.Kind, Encoded: wire.UploadShare(req, len(u.Records), i)}
	}
	msg, err := s.host().Admit(a)
	if err != nil {
		return nil, err
	}
	if rc, ok := msg.(*wire.Receipt); ok && rc != nil {
		s.metrics.upload(u.Kind, len(u.Records))
		s.log.Info("upload stored", "kind", u.Kind.String(), "records", len(u.Records))
	}
	return msg, nil
}

// checkWarning checks what a party sees of a venue warning's window: the
// records of one window of at most trace.MaxWarning, so at most
// trace.MaxWarningRecords, on at most two adjacent days, none after the
// day of now plus a bucket. (Host.Admit checks the retention window.)
func (s *Server) checkWarning(u *wire.Upload) error {
	tp, err := s.m.Params.Trace()
	if err != nil {
		return err
	}
	if max := trace.MaxWarningRecords(tp); len(u.Records) > max {
		return werr(wire.CodeTooManyRecords, "a venue warning of %d records: a window of at most %s has at most %d", len(u.Records), trace.MaxWarning, max)
	}
	lo, hi := u.Records[0].Day, u.Records[0].Day
	for _, r := range u.Records {
		lo, hi = min(lo, r.Day), max(hi, r.Day)
	}
	if hi-lo > 1 {
		return werr(wire.CodeBadDay, "a venue warning over days %s..%s: a window of at most %s spans at most two days", record.Day(lo), record.Day(hi), trace.MaxWarning)
	}
	late := trace.DayOf(s.now().Add(time.Duration(tp.BucketMinutes) * time.Minute))
	if int64(hi) > int64(late) {
		return werr(wire.CodeBadDay, "a venue warning of day %s, in the future", record.Day(hi))
	}
	return nil
}

func (s *Server) receipt(rc store.Receipt) *wire.Receipt {
	r := &wire.Receipt{ContentHash: rc.ContentHash, Records: uint32(rc.Records), Party: uint8(s.key.ID)}
	copy(r.UploadID[:], rc.UploadID)
	r.Sign(s.key.Sign, s.mhash)
	return r
}

// handleResults returns the user's sealed result blobs, after deleting those
// the user acknowledged.
func (s *Server) handleResults(ctx context.Context, req []byte) (wire.Message, error) {
	q, err := wire.DecodeResultRequest(req)
	if err != nil {
		return nil, werr(wire.CodeBadFrame, "%v", err)
	}
	th := sha256.Sum256(q.Token[:])
	if q.DeleteThrough > 0 {
		if _, err := s.st.DeleteResults(th[:], q.DeleteThrough); err != nil {
			return nil, err
		}
	}
	rs, err := s.st.Results(th[:])
	if err != nil {
		return nil, err
	}
	resp := &wire.ResultResponse{}
	for _, r := range rs {
		if len(resp.Results) == wire.MaxResults {
			break
		}
		resp.Results = append(resp.Results, wire.ResultBlob{Seq: r.Seq, Blob: r.Blob})
	}
	s.metrics.resultsServed.Add(uint64(len(resp.Results)))
	return resp, nil
}

// PutResult seals share to user's result key and stores it for delivery
// to the holder of the user's token (tests and tools; computations publish
// through their host).
func (s *Server) PutResult(user compute.UserKey, share *wire.ResultShare) (uint64, error) {
	ur, err := s.host().SealResult(user, share)
	if err != nil {
		return 0, err
	}
	return s.st.PutResult(ur.UserKey, ur.Blob, s.now())
}

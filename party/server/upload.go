package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/wire"
)

// UserKeySize is the size of store.Record.ResultKey for uploads received by
// a Server: the user's result public key followed by their token hash.
const UserKeySize = wire.KeySize + wire.HashSize

// UserKey identifies the user of a stored record: where to seal results
// (ResultKey) and who may fetch them (TokenHash, the SHA-256 of a secret only
// the user's device knows). Records of one user carry equal UserKeys.
type UserKey struct {
	ResultKey [wire.KeySize]byte
	TokenHash [wire.HashSize]byte
}

// Bytes returns the 64-byte form stored in store.Record.ResultKey.
func (u UserKey) Bytes() []byte { return append(u.ResultKey[:], u.TokenHash[:]...) }

// ParseUserKey decodes store.Record.ResultKey of a record stored by a Server.
func ParseUserKey(b []byte) (UserKey, error) {
	var u UserKey
	if len(b) != UserKeySize {
		return u, fmt.Errorf("server: user key of %d bytes, want %d", len(b), UserKeySize)
	}
	copy(u.ResultKey[:], b)
	copy(u.TokenHash[:], b[wire.KeySize:])
	return u, nil
}

func werr(c wire.Code, format string, args ...any) *wire.Error {
	return &wire.Error{Code: c, Message: fmt.Sprintf(format, args...)}
}

// handleUpload validates an upload and stores it with its code use in one
// transaction, committed (fsynced) before the receipt is signed.
func (s *Server) handleUpload(ctx context.Context, req []byte) (wire.Message, error) {
	u, hash, err := wire.DecodeUploadHash(req)
	switch {
	case errors.Is(err, wire.ErrBadShare):
		return nil, werr(wire.CodeBadShare, "%v", err)
	case errors.Is(err, wire.ErrTooManyRecords):
		return nil, werr(wire.CodeTooManyRecords, "%v", err)
	case errors.Is(err, wire.ErrVersion):
		return nil, werr(wire.CodeBadVersion, "%v", err)
	case err != nil:
		return nil, werr(wire.CodeBadFrame, "%v", err)
	}
	// A retry of a stored upload gets its receipt again, even if its code
	// has expired since.
	if rc, ok, err := s.st.Upload(u.ID[:]); err != nil {
		return nil, err
	} else if ok {
		if rc.ContentHash != hash {
			return nil, werr(wire.CodeUploadReused, "upload id %x was stored before with other content", u.ID[:4])
		}
		s.metrics.retries.Add(1)
		return s.receipt(rc), nil
	}
	if err := wire.CheckResultPublicKey(u.ResultKey[:]); err != nil {
		return nil, werr(wire.CodeBadKey, "%v", err)
	}
	now := s.now()
	today := store.DayOf(now)
	oldest := int64(today) - int64(s.m.Params.RetentionDays) + 1
	for i, r := range u.Records {
		// One day ahead is allowed for clocks and time zones.
		if int64(r.Day) < oldest || int64(r.Day) > int64(today)+1 {
			return nil, werr(wire.CodeBadDay, "record %d: day %s outside the retention window %s..%s", i, store.Day(r.Day), store.Day(max(oldest, 0)), today+1)
		}
	}
	up := &store.Upload{ID: u.ID[:], ContentHash: hash, Records: make([]store.Record, len(u.Records))}
	if u.Kind == wire.KindPositive {
		id, exp, err := authority.VerifyAt(s.m, u.Code, now)
		switch {
		case errors.Is(err, authority.ErrExpired):
			return nil, werr(wire.CodeCodeExpired, "%v", err)
		case err != nil:
			return nil, werr(wire.CodeCodeInvalid, "%v", err)
		}
		up.Code = &store.CodeUse{ID: id, Expires: exp}
	}
	user := UserKey{ResultKey: u.ResultKey, TokenHash: u.TokenHash}.Bytes()
	share := make([]byte, 0, len(u.Records)*wire.ShareSize)
	for i := range u.Records {
		r := &u.Records[i]
		start := len(share)
		share = r.AppendShare(share)
		up.Records[i] = store.Record{
			Day: store.Day(r.Day), ID: r.ID[:], ResultKey: user,
			Kind: store.Kind(u.Kind), Share: share[start:len(share):len(share)],
		}
	}
	rc, err := s.st.PutUpload(up, now)
	switch {
	case errors.Is(err, store.ErrCodeUsed):
		return nil, werr(wire.CodeCodeUsed, "%v", err)
	case errors.Is(err, store.ErrUploadReused):
		return nil, werr(wire.CodeUploadReused, "%v", err)
	case errors.Is(err, store.ErrRecordExists):
		return nil, werr(wire.CodeRecordExists, "%v", err)
	case err != nil:
		return nil, err
	}
	s.metrics.upload(u.Kind, len(u.Records))
	s.log.Info("upload stored", "kind", u.Kind.String(), "records", len(u.Records))
	return s.receipt(rc), nil
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
// to the holder of the user's token. Computations call it for each user.
func (s *Server) PutResult(user UserKey, share *wire.ResultShare) (uint64, error) {
	share.Party = uint8(s.key.ID)
	b, err := share.AppendBinary(nil)
	if err != nil {
		return 0, err
	}
	blob, err := wire.SealResult(s.m, s.key.ID, user.ResultKey[:], b)
	if err != nil {
		return 0, err
	}
	return s.st.PutResult(user.TokenHash[:], blob, s.now())
}

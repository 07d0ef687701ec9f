package wire

import (
	"crypto/ed25519"
	"encoding/binary"
)

// Computation runs: an operator asks every party to start a computation of
// the manifest now, and asks each how a run went.
const (
	TypeRunRequest    Type = 10 // request: start a run of a computation
	TypeStatusRequest Type = 11 // request: the state of a run
	TypeRunStatus     Type = 12 // reply to RunRequest and StatusRequest
)

// RunPrefix separates run-request signatures from every other use of a
// party's signing key.
const RunPrefix = "safetrace run v1\x00"

// MaxNameLen bounds a computation name; MaxStatusText a status message.
const (
	MaxNameLen    = 64
	MaxStatusText = 16 << 10
)

// RunRequest asks a party to start a run of a computation now:
//
//	version || type 10 || reply key (32) || name length (1) || name
//	|| run id (16) || issued at, Unix seconds (8) || signatures (1)
//	|| (signer party (1) || signature (64)) per signature
//
// Each signature is by the signing key of its party in the manifest, over
// RunMessage; parties start a requested run only when at least t+1
// distinct parties signed it, so no single operator can start epochs (and
// difference them).
type RunRequest struct {
	ReplyKey   [KeySize]byte
	Name       string
	RunID      [IDSize]byte
	Issued     int64
	Signatures []RunSignature
}

// RunSignature is one party's signature of a RunRequest.
type RunSignature struct {
	Signer    uint8
	Signature [SignatureSize]byte
}

// MaxRunSignatures bounds the signatures of a RunRequest.
const MaxRunSignatures = 64

func (*RunRequest) Type() Type { return TypeRunRequest }

func appendName(b []byte, name string) ([]byte, error) {
	if name == "" || len(name) > MaxNameLen {
		return nil, malformed("computation name of %d bytes", len(name))
	}
	if err := checkText(name, MaxNameLen, "computation name"); err != nil {
		return nil, err
	}
	b = append(b, byte(len(name)))
	return append(b, name...), nil
}

func (r *reader) name() string {
	n := int(r.u8("name length"))
	s := string(r.take(n, "name"))
	if r.err == nil && (n == 0 || checkText(s, MaxNameLen, "computation name") != nil) {
		r.err = malformed("bad computation name")
	}
	return s
}

// AppendBinary implements Message.
func (q *RunRequest) AppendBinary(b []byte) ([]byte, error) {
	if len(q.Signatures) == 0 || len(q.Signatures) > MaxRunSignatures {
		return nil, malformed("run request with %d signatures", len(q.Signatures))
	}
	b = append(b, Version, byte(TypeRunRequest))
	b = append(b, q.ReplyKey[:]...)
	b, err := appendName(b, q.Name)
	if err != nil {
		return nil, err
	}
	b = append(b, q.RunID[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(q.Issued))
	b = append(b, byte(len(q.Signatures)))
	for _, sg := range q.Signatures {
		if sg.Signer == 0 {
			return nil, malformed("run request signed by party 0")
		}
		b = append(b, sg.Signer)
		b = append(b, sg.Signature[:]...)
	}
	return b, nil
}

// DecodeRunRequest decodes a RunRequest strictly. It does not check the
// signatures.
func DecodeRunRequest(b []byte) (*RunRequest, error) {
	if err := want(b, TypeRunRequest); err != nil {
		return nil, err
	}
	r := &reader{b: b[2:]}
	q := &RunRequest{}
	copy(q.ReplyKey[:], r.take(KeySize, "reply key"))
	q.Name = r.name()
	copy(q.RunID[:], r.take(IDSize, "run id"))
	q.Issued = int64(r.u64("issued at"))
	n := int(r.u8("signatures"))
	if r.err == nil && (n == 0 || n > MaxRunSignatures) {
		return nil, malformed("run request with %d signatures", n)
	}
	for range n {
		var sg RunSignature
		sg.Signer = r.u8("signer")
		copy(sg.Signature[:], r.take(SignatureSize, "signature"))
		if r.err == nil && sg.Signer == 0 {
			return nil, malformed("run request signed by party 0")
		}
		q.Signatures = append(q.Signatures, sg)
	}
	if err := r.end(); err != nil {
		return nil, err
	}
	return q, nil
}

// RunMessage returns the bytes a run request's signatures cover:
// RunPrefix || manifest hash || name length || name || run id || issued.
func RunMessage(manifestHash [HashSize]byte, q *RunRequest) []byte {
	m := append([]byte(RunPrefix), manifestHash[:]...)
	m = append(m, byte(len(q.Name)))
	m = append(m, q.Name...)
	m = append(m, q.RunID[:]...)
	return binary.BigEndian.AppendUint64(m, uint64(q.Issued))
}

// Sign adds party signer's signature with key.
func (q *RunRequest) Sign(signer int, key ed25519.PrivateKey, manifestHash [HashSize]byte) {
	sg := RunSignature{Signer: uint8(signer)}
	copy(sg.Signature[:], ed25519.Sign(key, RunMessage(manifestHash, q)))
	q.Signatures = append(q.Signatures, sg)
}

// Signers returns the distinct parties whose signature is valid under
// their key in keys (party id -> Ed25519 public key).
func (q *RunRequest) Signers(keys func(party int) (ed25519.PublicKey, bool), manifestHash [HashSize]byte) []int {
	msg := RunMessage(manifestHash, q)
	seen := map[uint8]bool{}
	var out []int
	for _, sg := range q.Signatures {
		pub, ok := keys(int(sg.Signer))
		if seen[sg.Signer] || !ok || len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, msg, sg.Signature[:]) {
			continue
		}
		seen[sg.Signer] = true
		out = append(out, int(sg.Signer))
	}
	return out
}

// StatusRequest asks a party how a run went:
//
//	version || type 11 || reply key (32) || name length (1) || name || run id (16)
type StatusRequest struct {
	ReplyKey [KeySize]byte
	Name     string
	RunID    [IDSize]byte
}

func (*StatusRequest) Type() Type { return TypeStatusRequest }

// AppendBinary implements Message.
func (q *StatusRequest) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, Version, byte(TypeStatusRequest))
	b = append(b, q.ReplyKey[:]...)
	b, err := appendName(b, q.Name)
	if err != nil {
		return nil, err
	}
	return append(b, q.RunID[:]...), nil
}

// DecodeStatusRequest decodes a StatusRequest strictly.
func DecodeStatusRequest(b []byte) (*StatusRequest, error) {
	if err := want(b, TypeStatusRequest); err != nil {
		return nil, err
	}
	r := &reader{b: b[2:]}
	q := &StatusRequest{}
	copy(q.ReplyKey[:], r.take(KeySize, "reply key"))
	q.Name = r.name()
	copy(q.RunID[:], r.take(IDSize, "run id"))
	if err := r.end(); err != nil {
		return nil, err
	}
	return q, nil
}

// RunState is the state of a run at one party.
type RunState uint8

const (
	RunUnknown RunState = 1 // never requested here (or forgotten, or the party restarted)
	RunRunning RunState = 2 // executing
	RunDone    RunState = 3 // succeeded; the status text is the public summary (JSON)
	RunFailed  RunState = 4 // failed after its attempts; the status text is the error
	RunPending RunState = 5 // accepted and queued behind another run
)

func (s RunState) String() string {
	switch s {
	case RunUnknown:
		return "unknown"
	case RunRunning:
		return "running"
	case RunDone:
		return "done"
	case RunFailed:
		return "failed"
	case RunPending:
		return "pending"
	}
	return "invalid"
}

// RunStatus is a party's answer about a run:
//
//	version || type 12 || run id (16) || state (1) || text length (2) || text
//
// Text is the run's public summary (JSON) when done, the error when failed.
type RunStatus struct {
	RunID [IDSize]byte
	State RunState
	Text  string
}

func (*RunStatus) Type() Type { return TypeRunStatus }

// AppendBinary implements Message.
func (s *RunStatus) AppendBinary(b []byte) ([]byte, error) {
	if s.State < RunUnknown || s.State > RunPending {
		return nil, malformed("run state %d", s.State)
	}
	if err := checkText(s.Text, MaxStatusText, "status text"); err != nil {
		return nil, err
	}
	b = append(b, Version, byte(TypeRunStatus))
	b = append(b, s.RunID[:]...)
	b = append(b, byte(s.State))
	b = binary.BigEndian.AppendUint16(b, uint16(len(s.Text)))
	return append(b, s.Text...), nil
}

// DecodeRunStatus decodes a RunStatus strictly.
func DecodeRunStatus(b []byte) (*RunStatus, error) {
	if err := want(b, TypeRunStatus); err != nil {
		return nil, err
	}
	r := &reader{b: b[2:]}
	s := &RunStatus{}
	copy(s.RunID[:], r.take(IDSize, "run id"))
	s.State = RunState(r.u8("state"))
	s.Text = string(r.take(int(r.u16("text length")), "text"))
	if err := r.end(); err != nil {
		return nil, err
	}
	if s.State < RunUnknown || s.State > RunPending {
		return nil, malformed("run state %d", s.State)
	}
	if err := checkText(s.Text, MaxStatusText, "status text"); err != nil {
		return nil, err
	}
	return s, nil
}

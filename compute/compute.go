// Package compute is the narrow interface between a party server and the
// computations it hosts (DESIGN.md section 4.3; docs/architecture.md).
//
// A [Computation] is a protocol of the manifest (the exposure epoch in
// package epoch/epochjob, the region map in regionmap/regionjob). The party
// server owns the relays, the store, the mesh and the run machinery; for each
// attempt of a run it calls [Computation.Run] with a [Host] and a fresh
// [Run]. The host hands out the stored inputs (streamed, never all at once),
// seals results to users and publishes a computation's outputs in one
// atomic store transaction. A computation may also answer request types of
// its own ([Requests]); the host's [Host.Admit] runs the checks every upload
// shares. The shared record-set agreement is [Agree].
//
// Adding a computation touches its own package, one line in the server's
// list of computations and the manifest.
//
// Warning: a computation sees this party's shares in the clear. It must
// write nothing durable unless it succeeds, and then only through one
// [Host.Publish] at its end, so an aborted attempt leaves nothing behind.
package compute

import (
	"context"
	"log/slog"
	"time"

	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/mpc"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/transport"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
)

// Summary is the public outcome of a run: a JSON-encodable value that holds
// only what every party may release (aggregate counters, timings). It is
// shown by wire.RunStatus, GET /v1/epochs and the logs.
type Summary = any

// A Computation is one computation of the manifest that the parties run
// together.
type Computation interface {
	// Name is the computation's name in the manifest.
	Name() string
	// Scheduled is the period of its scheduled runs under manifest m, or 0
	// for runs on request only.
	Scheduled(m *manifest.Manifest) time.Duration
	// Run is called once per attempt with a fresh mesh. Its errors should
	// wrap the transport's ErrPeerGone / ErrTimeout (or epoch.ErrAborted)
	// when a party was lost.
	Run(ctx context.Context, h Host, run *Run) (Summary, error)
}

// Requests is implemented by a computation that answers request types of
// its own (the region map's uploads and map requests). The host registers
// them next to its own.
type Requests interface {
	Handlers(h Host) map[wire.Type]Handler
}

// Handler answers one request. req is the opened, unpadded request starting
// with its header (wire.RequestHeader). A *wire.Error return is sent to the
// client as is; any other error is logged and reported as wire.CodeInternal.
type Handler func(ctx context.Context, req []byte) (wire.Message, error)

// Run is one attempt of a run of a computation at this party. The host closes
// Conn when the computation returns.
type Run struct {
	Name    string            // the computation's name in the manifest
	ID      [wire.IDSize]byte // the run id, the same at every party
	Attempt int               // 0 for the first attempt
	// Party is an MPC party over the ristretto255 scalar field on Conn, its
	// pseudo-random sharing already set up with the other parties. A
	// computation over another field calls mpc.New on Conn instead.
	Party *mpc.Party[field.Scalar]
	Conn  transport.Conn // the run's mesh
	T     int            // threshold of the deployment
	Log   *slog.Logger   // tagged with the computation and run
	// Hook, if not nil, is called at named stages of the run (tests); an
	// error aborts the attempt there.
	Hook func(stage string) error
}

// Stage calls the run's test hook, if any, at stage.
func (r *Run) Stage(stage string) error {
	if r.Hook == nil {
		return nil
	}
	return r.Hook(stage)
}

// Inputs is the read side of the party's store that computations use. Its
// iterators stream in bounded memory; values are valid only during fn.
type Inputs interface {
	// ForEachRecord calls fn for each stored record with from <= day <= to,
	// in (day, record id) order.
	ForEachRecord(from, to record.Day, fn func(r *store.Record) error) error
	// ForEachRecordEncoded is ForEachRecord without decoding the shares
	// (Share zero, Encoded the share's encoding), for a pass over the
	// public fields only.
	ForEachRecordEncoded(from, to record.Day, fn func(r *store.Record) error) error
	// ForEachRunInput calls fn with each input of run in the order added.
	ForEachRunInput(run string, fn func(data []byte) error) error
	// RunExists reports whether run has inputs or outputs stored.
	RunExists(run string) (bool, error)
}

// Host is what a party server offers the computations it runs.
type Host interface {
	// Manifest returns the verified deployment manifest.
	Manifest() *manifest.Manifest
	// ID returns this party's id.
	ID() int
	// Now returns the party's clock.
	Now() time.Time
	// Logger returns the party's logger.
	Logger() *slog.Logger
	// Inputs returns the store's read side.
	Inputs() Inputs
	// SealResult seals share (its Party set to this party) to the user's
	// result key, ready for a Publication.
	SealResult(user UserKey, share *wire.ResultShare) (store.UserResult, error)
	// Publish stores p in one transaction: all of it or nothing.
	Publish(p *store.Publication) error
	// Admit runs the checks every upload shares and stores it: a retry of a
	// stored upload id gets its first receipt (or wire.CodeUploadReused for
	// other content), every day must lie in the retention window, a code
	// must verify (its use is recorded under codeID(id)); then put stores
	// the upload, and the signed receipt is returned.
	Admit(a *Admission) (wire.Message, error)
}

// Admission is one upload for [Host.Admit].
type Admission struct {
	ID          [wire.IDSize]byte
	ContentHash [wire.HashSize]byte
	Days        []uint32 // days of the upload's records (or its one day)
	Code        string   // authority code, "" for none
	// Purpose is what Code must be for; 0 means authority.PositiveTest.
	Purpose authority.Purpose
	// CodeID maps a verified code's id to the id its use is recorded under;
	// nil means the code id itself.
	CodeID func(id [16]byte) [16]byte
	// Records are the upload's records, stored with it; or, for an upload
	// that is the input of a run, Input is stored as an input of run Run
	// and the receipt counts Count items.
	Records []store.Record
	Run     string
	Input   []byte
	Count   int
	// Lock, if not nil, is called right before the upload is stored and
	// its unlock right after; an error refuses the upload (e.g. a day whose
	// computation has started).
	Lock func() (unlock func(), err error)
}

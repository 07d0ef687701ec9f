//go:build js && wasm

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hack-pad/safejs"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/qr/core"
	"github.com/safetrace/safetrace/trace"
	"github.com/safetrace/safetrace/wasm/internal/jsbridge"
	"github.com/safetrace/safetrace/wasm/internal/visitor"
	"github.com/safetrace/safetrace/wire"
)

// The visitor app's functions, safetrace.app.*; the logic is in
// wasm/internal/visitor. Structured arguments and results are JSON strings (the
// app stores them in IndexedDB as they are); times are Unix milliseconds
// from the app's clock. Every function returns a Promise.
//
//	init(manifestJSON, stateJSON, pinnedHex) -> {state, manifest_hash, deployment, params}
//	venue(text) -> Venue JSON                (rejects: not a venue / bad poster)
//	decode(rgba Uint8ClampedArray, w, h[, whole]) -> text or ""  (a camera frame;
//	                                         whole: the decoder's whole chain, for measurements)
//	cell(lat, lon, accuracyM) -> geohash cell or "" (too inaccurate)
//	prepare(historyJSON) -> {pending: [PendingUpload], summary}   ordinary records
//	preview(historyJSON, onsetDay, now) -> summary                positive report
//	preparePositive(historyJSON, onsetDay, now, code) -> {pending, summary}
//	send(pendingJSON, timeoutMs) -> {pending, complete, error}
//	results(timeoutMs) -> Status JSON
//	ack(timeoutMs) -> undefined            (the parties delete delivered results)
//	myCode(now) -> {code, png}
//	encounter(text) -> Encounter JSON
//	bench(n) -> {derive_ms, share_ms, work_ms, visit_seal_ms, visit_work_ms, records, ...}
func init() {
	a := &app{}
	jsbridge.RegisterConcurrent("app", map[string]jsbridge.Method{
		"init":            a.init,
		"venue":           a.venue,
		"decode":          decode,
		"cell":            a.cell,
		"prepare":         a.prepare,
		"preview":         a.preview,
		"preparePositive": a.preparePositive,
		"send":            a.send,
		"results":         a.results,
		"ack":             a.ack,
		"myCode":          a.myCode,
		"encounter":       encounter,
		"bench":           a.bench,
	})
}

// appState is what the app persists of the Go side: the client's secrets
// and the encounter seed.
type appState struct {
	Client *client.State `json:"client"`
	Seed   []byte        `json:"seed"`
}

type app struct {
	mu sync.Mutex
	c  *client.Client
	st appState
	p  trace.Params
}

func (a *app) ready() (*client.Client, trace.Params, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.c == nil {
		return nil, trace.Params{}, errors.New("app: not initialised")
	}
	return a.c, a.p, nil
}

func jsonString(v any) (any, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// readyArgs checks that a call to name has n arguments and returns the
// initialised client and its trace parameters.
func (a *app) readyArgs(name string, args []safejs.Value, n int) (*client.Client, trace.Params, error) {
	if err := jsbridge.WantArgs(name, args, n); err != nil {
		return nil, trace.Params{}, err
	}
	return a.ready()
}

// timed checks that a call to name has n arguments, the one at msArg a
// timeout in milliseconds, and returns the initialised client with a
// context of that timeout.
func (a *app) timed(name string, args []safejs.Value, n, msArg int) (*client.Client, context.Context, context.CancelFunc, error) {
	c, _, err := a.readyArgs(name, args, n)
	if err != nil {
		return nil, nil, nil, err
	}
	ms, err := jsbridge.ArgFloat(args, msArg)
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(ms)*time.Millisecond)
	return c, ctx, cancel, nil
}

// parseText parses the one string argument of a call to name.
func parseText[T any](name string, args []safejs.Value, parse func(string) (T, error)) (T, error) {
	var zero T
	if err := jsbridge.WantArgs(name, args, 1); err != nil {
		return zero, err
	}
	s, err := jsbridge.ArgString(args, 0)
	if err != nil {
		return zero, err
	}
	return parse(s)
}

func (a *app) init(args []safejs.Value) (any, error) {
	ss, err := jsbridge.ArgStrings("init", args, 3)
	if err != nil {
		return nil, err
	}
	mb, sj, ph := ss[0], ss[1], ss[2]
	var st appState
	if sj != "" {
		if err := json.Unmarshal([]byte(sj), &st); err != nil {
			return nil, fmt.Errorf("app: stored state: %w", err)
		}
	}
	if len(st.Seed) != trace.SeedSize {
		st.Seed = make([]byte, trace.SeedSize)
		rand.Read(st.Seed)
	}
	var pinned []byte
	if ph != "" {
		if pinned, err = hex.DecodeString(ph); err != nil {
			return nil, fmt.Errorf("app: pinned hash: %w", err)
		}
	}
	var opts []client.Option
	if st.Client != nil {
		opts = append(opts, client.WithState(st.Client))
	}
	opts = append(opts, client.WithBackoff(200*time.Millisecond, 5*time.Second), client.WithAttemptWait(10*time.Second))
	c, err := client.New([]byte(mb), pinned, nil, nil, opts...)
	if err != nil {
		return nil, err
	}
	st.Client = c.State()
	a.mu.Lock()
	if a.c != nil {
		a.c.Close()
	}
	p, err := c.Manifest().Params.Trace()
	if err != nil {
		a.mu.Unlock()
		c.Close()
		return nil, err
	}
	a.c, a.st, a.p = c, st, p
	a.mu.Unlock()
	stj, _ := json.Marshal(st)
	pj, _ := json.Marshal(a.p)
	h := c.ManifestHash()
	return map[string]any{"state": string(stj), "manifest_hash": h.String(),
		"deployment": c.Manifest().Deployment, "params": string(pj)}, nil
}

func (a *app) venue(args []safejs.Value) (any, error) {
	v, err := parseText("venue", args, visitor.ParseVenue)
	if err != nil {
		if errors.Is(err, core.ErrNotVenue) {
			return nil, errors.New("not-venue")
		}
		return nil, err
	}
	return jsonString(v)
}

// scanner decodes the camera's frames: a Scanner spreads the decoder's
// expensive attempts over frames, so a frame without a code is cheap.
var scanner struct {
	sync.Mutex
	s   core.Scanner
	pix []byte // the last frame's pixels, reused: a frame is 1.2 MB at 640x480
}

func decode(args []safejs.Value) (any, error) {
	if len(args) != 3 && len(args) != 4 {
		return nil, fmt.Errorf("decode: want 3 or 4 arguments, got %d", len(args))
	}
	whole := false
	if len(args) == 4 {
		b, err := args[3].Bool()
		if err != nil {
			return nil, fmt.Errorf("decode: argument 4: %w", err)
		}
		whole = b
	}
	w, err := jsbridge.ArgFloat(args, 1)
	if err != nil {
		return nil, err
	}
	h, err := jsbridge.ArgFloat(args, 2)
	if err != nil {
		return nil, err
	}
	n := int(w) * int(h) * 4
	if n <= 0 {
		return "", nil // an empty frame shows no code
	}
	var text string
	if whole {
		pix := make([]byte, n)
		if _, err := safejs.CopyBytesToGo(pix, args[0]); err != nil {
			return nil, fmt.Errorf("decode: %w", err)
		}
		text, err = core.DecodeRGBA(pix, int(w), int(h), int(w)*4)
	} else {
		scanner.Lock()
		defer scanner.Unlock()
		if cap(scanner.pix) < n {
			scanner.pix = make([]byte, n)
		}
		pix := scanner.pix[:n]
		if _, err := safejs.CopyBytesToGo(pix, args[0]); err != nil {
			return nil, fmt.Errorf("decode: %w", err)
		}
		text, err = scanner.s.DecodeRGBA(pix, int(w), int(h), int(w)*4)
	}
	if err != nil {
		return "", nil // no code in this frame
	}
	return text, nil
}

func (a *app) cell(args []safejs.Value) (any, error) {
	_, p, err := a.readyArgs("cell", args, 3)
	if err != nil {
		return nil, err
	}
	var f [3]float64
	for i := range f {
		if f[i], err = jsbridge.ArgFloat(args, i); err != nil {
			return nil, err
		}
	}
	return visitor.Cell(f[0], f[1], f[2], p), nil
}

func history(args []safejs.Value) (visitor.History, error) {
	var h visitor.History
	s, err := jsbridge.ArgString(args, 0)
	if err != nil {
		return h, err
	}
	err = json.Unmarshal([]byte(s), &h)
	return h, err
}

func pendings(c *client.Client, kind wire.Kind, code string, recs []trace.Record) (any, error) {
	var ps []*client.PendingUpload
	for _, chunk := range visitor.Chunks(recs) {
		p, err := c.Prepare(kind, code, chunk)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	if len(ps) > 1 && kind == wire.KindPositive {
		return nil, fmt.Errorf("app: positive report of %d records is too large for one upload", len(recs))
	}
	return jsonString(map[string]any{"pending": ps, "summary": visitor.Summarize(recs)})
}

func (a *app) prepare(args []safejs.Value) (any, error) {
	c, p, err := a.readyArgs("prepare", args, 1)
	if err != nil {
		return nil, err
	}
	h, err := history(args)
	if err != nil {
		return nil, err
	}
	recs, err := visitor.Records(h, p)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return jsonString(map[string]any{"pending": []any{}, "summary": visitor.Summarize(nil)})
	}
	return pendings(c, wire.KindOrdinary, "", recs)
}

// positive checks that a call to name has n arguments and derives the
// records of the positive report its first three describe.
func (a *app) positive(name string, args []safejs.Value, n int) ([]trace.Record, error) {
	_, p, err := a.readyArgs(name, args, n)
	if err != nil {
		return nil, err
	}
	h, err := history(args)
	if err != nil {
		return nil, err
	}
	onsetS, err := jsbridge.ArgString(args, 1)
	if err != nil {
		return nil, err
	}
	onset, err := trace.ParseDay(onsetS)
	if err != nil {
		return nil, err
	}
	now, err := jsbridge.ArgFloat(args, 2)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	seed := a.st.Seed
	a.mu.Unlock()
	return visitor.Positive(h, seed, onset, time.UnixMilli(int64(now)), p)
}

func (a *app) preview(args []safejs.Value) (any, error) {
	recs, err := a.positive("preview", args, 3)
	if err != nil {
		return nil, err
	}
	return jsonString(visitor.Summarize(recs))
}

func (a *app) preparePositive(args []safejs.Value) (any, error) {
	recs, err := a.positive("preparePositive", args, 4)
	if err != nil {
		return nil, err
	}
	code, err := jsbridge.ArgString(args, 3)
	if err != nil {
		return nil, err
	}
	if code == "" {
		return nil, errors.New("app: the authority's code is missing")
	}
	if len(recs) == 0 {
		return nil, errors.New("app: nothing to report in the infectious window")
	}
	c, _, _ := a.ready()
	return pendings(c, wire.KindPositive, code, recs)
}

func (a *app) send(args []safejs.Value) (any, error) {
	c, ctx, cancel, err := a.timed("send", args, 2, 1)
	if err != nil {
		return nil, err
	}
	defer cancel()
	s, err := jsbridge.ArgString(args, 0)
	if err != nil {
		return nil, err
	}
	var p client.PendingUpload
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil, fmt.Errorf("app: pending upload: %w", err)
	}
	st, err := c.Send(ctx, &p)
	out := map[string]any{"pending": &p, "complete": err == nil && st != nil && st.Complete}
	if err != nil {
		out["error"] = err.Error()
		var we *wire.Error
		if errors.As(err, &we) { // refused for good, e.g. a used code
			out["refused"] = client.RefusalKey(we.Code)
		}
	}
	return jsonString(out)
}

func (a *app) results(args []safejs.Value) (any, error) {
	c, ctx, cancel, err := a.timed("results", args, 1, 0)
	if err != nil {
		return nil, err
	}
	defer cancel()
	rs, err := c.FetchResults(ctx)
	if err != nil {
		return nil, err
	}
	st, err := visitor.Interpret(rs)
	if err != nil {
		return nil, err
	}
	return jsonString(st)
}

func (a *app) ack(args []safejs.Value) (any, error) {
	c, ctx, cancel, err := a.timed("ack", args, 1, 0)
	if err != nil {
		return nil, err
	}
	defer cancel()
	return nil, c.AckResults(ctx)
}

func (a *app) myCode(args []safejs.Value) (any, error) {
	f, err := jsbridge.ArgFloats("myCode", args, 1)
	if err != nil {
		return nil, err
	}
	now := f[0]
	a.mu.Lock()
	seed := a.st.Seed
	a.mu.Unlock()
	if seed == nil {
		return nil, errors.New("app: not initialised")
	}
	code := visitor.MyCode(seed, time.UnixMilli(int64(now)))
	png, err := visitor.QRDataURL(code, 6)
	if err != nil {
		return nil, err
	}
	return map[string]any{"code": code, "png": png}, nil
}

func encounter(args []safejs.Value) (any, error) {
	e, err := parseText("encounter", args, visitor.ParseEncounter)
	if err != nil {
		return nil, err
	}
	return jsonString(e)
}

// bench derives n venue records of a synthetic stay and shares and seals
// them for every party, as an upload does, and reports the times.
func (a *app) bench(args []safejs.Value) (any, error) {
	c, p, err := a.readyArgs("bench", args, 1)
	if err != nil {
		return nil, err
	}
	n, err := jsbridge.ArgFloat(args, 0)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	var recs []trace.Record
	sec := [trace.SecretSize]byte{1}
	start := time.Now().Add(-24 * time.Hour).Truncate(time.Hour)
	for len(recs) < int(n) {
		rs, _ := trace.VenueRecords(sec, start, start.Add(12*time.Hour), p)
		recs = append(recs, rs...)
		sec[1]++
	}
	recs = recs[:int(n)]
	t1 := time.Now()
	var envs [][]byte
	for _, chunk := range visitor.Chunks(recs) {
		e, err := prepareSealed(c, chunk)
		if err != nil {
			return nil, err
		}
		envs = append(envs, e...)
	}
	t2 := time.Now()
	// The proof of work alone (part of sealing): found again for the
	// envelopes of these records, and for those of one 40-minute visit
	// (5 records, an envelope of up to 4 KiB per party).
	base := c.Manifest().Params.Budget.WorkBits
	for _, env := range envs {
		wire.SetWork(env, base)
	}
	t3 := time.Now()
	visitEnvs, err := prepareSealed(c, recs[:min(5, len(recs))])
	if err != nil {
		return nil, err
	}
	t4 := time.Now()
	for _, env := range visitEnvs {
		wire.SetWork(env, base)
	}
	t5 := time.Now()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return map[string]any{"records": int(n), "derive_ms": ms(t1.Sub(t0)), "share_ms": ms(t2.Sub(t1)),
		"work_ms": ms(t3.Sub(t2)), "envelopes": len(envs), "work_bits": base,
		"visit_seal_ms": ms(t4.Sub(t3)), "visit_work_ms": ms(t5.Sub(t4)), "visit_envelope_bytes": len(visitEnvs[0])}, nil
}

// prepareSealed prepares an ordinary upload of recs and seals it to every
// party, as Send does.
func prepareSealed(c *client.Client, recs []trace.Record) ([][]byte, error) {
	pu, err := c.Prepare(wire.KindOrdinary, "", recs)
	if err != nil {
		return nil, err
	}
	var envs [][]byte
	for i, req := range pu.Requests {
		env, err := wire.SealEnvelope(c.Manifest(), i+1, req)
		if err != nil {
			return nil, err
		}
		envs = append(envs, env)
	}
	return envs, nil
}

// Package warnkit is the logic of the poster page's "Warn visitors" form:
// a venue's warning prepared from its poster, checked and sent to a
// deployment (docs/app.md). It runs in the page's warning module
// (wasm/warn), loaded only when the form is used, and is tested natively.
package warnkit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/qr/core"
	"github.com/safetrace/safetrace/qr/qrfile"
	"github.com/safetrace/safetrace/trace"
	"github.com/safetrace/safetrace/wire"
)

// WarnRequest is the page's "Warn visitors" form: the venue's poster (its
// URL, or a poster file given beside the request), the window [From, To)
// in milliseconds since the Unix epoch, the health authority's
// venue-warning code and, optionally, the transmission-risk level (0: the
// default).
type WarnRequest struct {
	URL   string `json:"url"`
	From  int64  `json:"from"`
	To    int64  `json:"to"`
	Code  string `json:"code"`
	Level int    `json:"level"`
}

// WarnPreview is what the owner confirms before sending: the venue, the
// window and the number of records.
type WarnPreview struct {
	Name    string `json:"name"`
	Room    string `json:"room"`
	From    int64  `json:"from"`
	To      int64  `json:"to"`
	Records int    `json:"records"`
}

// A WarnError is a refused warning; Key names the reason for the page's
// messages ("notvenue", "nocode", "personalcode", "badcode", "window",
// "code-used", "code-invalid", "code-expired", "code-revoked", "refused",
// "unsent").
type WarnError struct {
	Key string
	Err error
}

func (e *WarnError) Error() string { return e.Err.Error() }
func (e *WarnError) Unwrap() error { return e.Err }

func warnErr(key string, err error) error { return &WarnError{Key: key, Err: err} }

// A Warner sends venue warnings to one deployment.
type Warner struct {
	mu sync.Mutex
	c  *client.Client
}

// NewWarner connects to the deployment of manifest (its JSON, as the
// deployment serves it at api/manifest.json).
func NewWarner(manifest []byte, opts ...client.Option) (*Warner, error) {
	opts = append([]client.Option{client.WithBackoff(200*time.Millisecond, 5*time.Second), client.WithAttemptWait(10 * time.Second)}, opts...)
	c, err := client.New(manifest, nil, nil, nil, opts...)
	if err != nil {
		return nil, err
	}
	return &Warner{c: c}, nil
}

// Close ends the Warner's connections.
func (w *Warner) Close() { w.c.Close() }

// Prepare checks r (with the poster file, if any, instead of r.URL) at
// time now and returns the preview and the warning's records.
func (w *Warner) Prepare(r WarnRequest, file []byte, now time.Time) (*WarnPreview, []trace.Record, error) {
	text := r.URL
	if len(file) > 0 {
		var err error
		if text, err = qrfile.PosterURL(file); err != nil {
			return nil, nil, warnErr("notvenue", err)
		}
	}
	v, err := core.ParseURL(text)
	if err != nil {
		return nil, nil, warnErr("notvenue", fmt.Errorf("not a venue's poster: %w", err))
	}
	code := strings.ToUpper(strings.TrimSpace(r.Code))
	if code == "" {
		return nil, nil, warnErr("nocode", errors.New("the health authority's venue-warning code is missing"))
	}
	switch _, err := authority.Check(w.c.Manifest(), code, authority.VenueWarning, now); {
	case errors.Is(err, authority.ErrWrongPurpose):
		return nil, nil, warnErr("personalcode", errors.New("this is a positive-test code; a venue warning needs a venue-warning code"))
	case errors.Is(err, authority.ErrExpired):
		return nil, nil, warnErr("code-expired", err)
	case err != nil:
		return nil, nil, warnErr("badcode", err)
	}
	from, to := time.UnixMilli(r.From).UTC(), time.UnixMilli(r.To).UTC()
	recs, err := w.c.VenueWarningRecords(v.Secret, from, to, r.Level, now)
	if err != nil {
		return nil, nil, warnErr("window", err)
	}
	return &WarnPreview{Name: v.Name, Room: v.Room, From: r.From, To: r.To, Records: len(recs)}, recs, nil
}

// Send prepares r and sends the warning, waiting for every party's
// receipt.
func (w *Warner) Send(ctx context.Context, r WarnRequest, file []byte, now time.Time) (*WarnPreview, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	p, recs, err := w.Prepare(r, file, now)
	if err != nil {
		return nil, err
	}
	if _, err := w.c.Upload(ctx, wire.KindVenueWarning, strings.ToUpper(strings.TrimSpace(r.Code)), recs); err != nil {
		var we *wire.Error
		if errors.As(err, &we) {
			return nil, warnErr(client.RefusalKey(we.Code), err)
		}
		return nil, warnErr("unsent", err)
	}
	return p, nil
}

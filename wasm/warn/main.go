//go:build js && wasm

// Command warn is the poster page's warning module ("make wasm" builds it
// into web/dist/ as warn.<hash>.wasm): the "Warn visitors" form's
// functions behind safetrace.warn.*, the logic in wasm/internal/warnkit. The
// page loads it only when the form is used, so the poster maker's module
// carries no client. Every function returns a Promise.
//
//	preview(manifestJSON, requestJSON, file?) -> JSON {ok, preview} or {ok: false, key, error}
//	send(manifestJSON, requestJSON, file?, timeoutMs) -> the same, once every party receipted
//
// with requestJSON a warnkit.WarnRequest and file an optional Uint8Array
// of a poster file (PDF, PNG, JPEG or a text with the URL).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hack-pad/safejs"

	"github.com/safetrace/safetrace/qr/qrfile"
	"github.com/safetrace/safetrace/wasm/internal/jsbridge"
	"github.com/safetrace/safetrace/wasm/internal/warnkit"
)

func main() { jsbridge.Run() }

var (
	warnMu    sync.Mutex
	warner    *warnkit.Warner
	warnerFor string
)

// warnerOf returns the Warner of the deployment with manifest mb.
func warnerOf(mb string) (*warnkit.Warner, error) {
	warnMu.Lock()
	defer warnMu.Unlock()
	if warner != nil && warnerFor == mb {
		return warner, nil
	}
	w, err := warnkit.NewWarner([]byte(mb))
	if err != nil {
		return nil, err
	}
	if warner != nil {
		warner.Close()
	}
	warner, warnerFor = w, mb
	return w, nil
}

// warnArgs reads (manifestJSON, requestJSON, file?) of safetrace.warn.*.
func warnArgs(args []safejs.Value) (*warnkit.Warner, warnkit.WarnRequest, []byte, error) {
	var r warnkit.WarnRequest
	if len(args) < 2 {
		return nil, r, nil, fmt.Errorf("warn: want the manifest and the request, got %d arguments", len(args))
	}
	mb, err := jsbridge.ArgString(args, 0)
	if err != nil {
		return nil, r, nil, err
	}
	rj, err := jsbridge.ArgString(args, 1)
	if err != nil {
		return nil, r, nil, err
	}
	if err := json.Unmarshal([]byte(rj), &r); err != nil {
		return nil, r, nil, fmt.Errorf("warn: request: %w", err)
	}
	var file []byte
	if len(args) > 2 && !args[2].IsUndefined() && !args[2].IsNull() {
		n, err := args[2].Length()
		if err != nil {
			return nil, r, nil, errors.New("warn: the poster file must be a Uint8Array")
		}
		if n > qrfile.MaxFileSize { // refused before it is copied into the module's memory
			return nil, r, nil, fmt.Errorf("warn: the poster file is larger than %d bytes", qrfile.MaxFileSize)
		}
		file = make([]byte, n)
		if _, err := safejs.CopyBytesToGo(file, args[2]); err != nil {
			return nil, r, nil, err
		}
	}
	w, err := warnerOf(mb)
	return w, r, file, err
}

// warnReply is the JSON answer of safetrace.warn.*: a refusal is an
// answer, with the key the page translates.
func warnReply(p *warnkit.WarnPreview, err error) (any, error) {
	out := map[string]any{"ok": err == nil, "preview": p}
	if err != nil {
		out["error"] = err.Error()
		out["key"] = "unsent"
		var we *warnkit.WarnError
		if errors.As(err, &we) {
			out["key"] = we.Key
		}
	}
	b, err := json.Marshal(out)
	return string(b), err
}

func init() {
	jsbridge.RegisterConcurrent("warn", map[string]jsbridge.Method{
		"preview": func(args []safejs.Value) (any, error) {
			w, r, file, err := warnArgs(args)
			if err != nil {
				return nil, err
			}
			p, _, err := w.Prepare(r, file, time.Now())
			return warnReply(p, err)
		},
		"send": func(args []safejs.Value) (any, error) {
			w, r, file, err := warnArgs(args)
			if err != nil {
				return nil, err
			}
			ms := 60000.0
			if len(args) > 3 {
				if ms, err = jsbridge.ArgFloat(args, 3); err != nil {
					return nil, err
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(ms)*time.Millisecond)
			defer cancel()
			return warnReply(w.Send(ctx, r, file, time.Now()))
		},
	})
}

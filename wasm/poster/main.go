//go:build js && wasm

// Command poster is the venue owner page's client compiled to WebAssembly
// ("make wasm" builds it into web/dist/ as poster.<hash>.wasm): the poster
// renderers of package qr (PDF, PNG, SVG) behind safetrace.poster.*. The
// visitor app loads its own, smaller module (wasm/).
package main

import (
	"errors"
	"fmt"

	"github.com/hack-pad/safejs"

	"github.com/safetrace/safetrace/wasm/internal/jsbridge"
	"github.com/safetrace/safetrace/wasm/internal/posterkit"
)

// The venue owner page's functions, safetrace.poster.*; the logic is in
// wasm/internal/posterkit. Every function returns a Promise.
//
//	make({name, address, room, category, stay, paper, origin, formats}) -> {url, fileName, svg, pdf, png}
//	batch(csvText, {paper, origin}) -> {pdf, names}
//	renew() -> undefined      (a fresh venue secret for the next posters)
//	categories() -> [{name, stay_minutes, risk}]
//
// The "Warn visitors" form's functions, safetrace.warn.*, are in the
// page's warning module (wasm/warn), which the page loads only when the
// form is used.
func main() { jsbridge.Run() }

func init() {
	var maker *posterkit.Maker
	ensure := func() (*posterkit.Maker, error) {
		if maker == nil { // methods run one at a time, see register
			m, err := posterkit.New()
			if err != nil {
				return nil, err
			}
			maker = m
		}
		return maker, nil
	}
	jsbridge.Register("poster", map[string]jsbridge.Method{
		"make": func(args []safejs.Value) (any, error) {
			if len(args) != 1 {
				return nil, fmt.Errorf("poster.make: want 1 argument, got %d", len(args))
			}
			m, err := ensure()
			if err != nil {
				return nil, err
			}
			var req posterkit.Request
			fields := map[string]*string{"name": &req.Name, "address": &req.Address, "room": &req.Room,
				"category": &req.Category, "stay": &req.Stay, "paper": &req.Paper, "origin": &req.Origin}
			for k, p := range fields {
				if *p, err = stringField(args[0], k); err != nil {
					return nil, err
				}
			}
			formats, err := stringsField(args[0], "formats")
			if err != nil {
				return nil, err
			}
			p, err := m.Make(req, formats...)
			if err != nil {
				return nil, err
			}
			return object(map[string]any{"url": p.URL, "fileName": p.FileName,
				"svg": optString(p.SVG), "pdf": p.PDF, "png": p.PNG})
		},
		"batch": func(args []safejs.Value) (any, error) {
			if len(args) < 1 || len(args) > 2 {
				return nil, fmt.Errorf("poster.batch: want 1 or 2 arguments, got %d", len(args))
			}
			csv, err := args[0].String()
			if err != nil {
				return nil, errors.New("poster.batch: the CSV must be a string")
			}
			var paper, origin string
			if len(args) == 2 {
				if paper, err = stringField(args[1], "paper"); err != nil {
					return nil, err
				}
				if origin, err = stringField(args[1], "origin"); err != nil {
					return nil, err
				}
			}
			pdf, names, err := posterkit.Batch([]byte(csv), paper, origin)
			if err != nil {
				return nil, err
			}
			list := make([]any, len(names))
			for i, n := range names {
				list[i] = n
			}
			return object(map[string]any{"pdf": pdf, "names": list})
		},
		"renew": func([]safejs.Value) (any, error) {
			m, err := ensure()
			if err != nil {
				return nil, err
			}
			return nil, m.Renew()
		},
		"categories": func([]safejs.Value) (any, error) {
			var list []any
			for _, c := range posterkit.Categories() {
				list = append(list, map[string]any{"name": c.Name, "stay_minutes": c.StayMinutes, "risk": c.Risk})
			}
			return list, nil
		},
	})
}

// stringField returns obj[key] as a string; undefined and null give "".
func stringField(obj safejs.Value, key string) (string, error) {
	v, err := obj.Get(key)
	if err != nil {
		return "", err
	}
	if v.IsUndefined() || v.IsNull() {
		return "", nil
	}
	if v.Type() != safejs.TypeString {
		return "", fmt.Errorf("%s must be a string", key)
	}
	return v.String()
}

// stringsField returns obj[key] as a list of strings; undefined gives nil.
func stringsField(obj safejs.Value, key string) ([]string, error) {
	v, err := obj.Get(key)
	if err != nil || v.IsUndefined() || v.IsNull() {
		return nil, err
	}
	n, err := v.Length()
	if err != nil {
		return nil, fmt.Errorf("%s must be an array", key)
	}
	out := make([]string, n)
	for i := range out {
		e, err := v.Index(i)
		if err != nil {
			return nil, err
		}
		if out[i], err = e.String(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func optString(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// object converts m to a JavaScript object; []byte values become
// Uint8Arrays, nil values null.
func object(m map[string]any) (safejs.Value, error) {
	obj, err := safejs.ValueOf(map[string]any{})
	if err != nil {
		return safejs.Value{}, err
	}
	for k, v := range m {
		if b, ok := v.([]byte); ok {
			if b == nil {
				v = nil
			} else if v, err = uint8Array(b); err != nil {
				return safejs.Value{}, err
			}
		}
		if err := obj.Set(k, v); err != nil {
			return safejs.Value{}, err
		}
	}
	return obj, nil
}

func uint8Array(b []byte) (safejs.Value, error) {
	ctor, err := safejs.Global().Get("Uint8Array")
	if err != nil {
		return safejs.Value{}, err
	}
	a, err := ctor.New(len(b))
	if err != nil {
		return safejs.Value{}, err
	}
	_, err = safejs.CopyBytesToJS(a, b)
	return a, err
}

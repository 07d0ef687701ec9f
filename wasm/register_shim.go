//go:build js && wasm

// Temporary stand-in for the PWA's wasm/main.go until that branch is merged:
// the global safetrace object and register. Delete when merging "pwa".

package main

import (
	"fmt"
	"sync"

	"github.com/hack-pad/safejs"
)

// A method is one function of a feature object. It runs on its own goroutine,
// never inside the js.FuncOf callback.
type method func(args []safejs.Value) (any, error)

var features = map[string]map[string]method{}

// register adds a feature object safetrace[name] with the given methods,
// each returning a Promise. Call it from init.
func register(name string, methods map[string]method) { features[name] = methods }

// callMu runs methods one at a time: they share state and the browser has
// one thread anyway.
var callMu sync.Mutex

func promised(m method) (safejs.Func, error) {
	return safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		var resolveFn, rejectFn safejs.Value
		exec, err := safejs.FuncOf(func(_ safejs.Value, a []safejs.Value) any {
			resolveFn, rejectFn = a[0], a[1]
			return nil
		})
		if err != nil {
			return nil
		}
		ctor, _ := safejs.Global().Get("Promise")
		p, err := ctor.New(exec)
		exec.Release() // the executor runs synchronously inside New
		if err != nil {
			return nil
		}
		go func() {
			callMu.Lock()
			res, err := m(args)
			callMu.Unlock()
			if err != nil {
				errCtor, _ := safejs.Global().Get("Error")
				e, _ := errCtor.New(err.Error())
				rejectFn.Invoke(e)
				return
			}
			resolveFn.Invoke(res)
		}()
		return p
	})
}

func main() {
	root, err := safejs.ValueOf(map[string]any{})
	if err != nil {
		panic(err)
	}
	for name, methods := range features {
		obj, _ := safejs.ValueOf(map[string]any{})
		for k, m := range methods {
			f, err := promised(m)
			if err != nil {
				panic(fmt.Sprintf("safetrace.%s.%s: %v", name, k, err))
			}
			obj.Set(k, f.Value())
		}
		root.Set(name, obj)
	}
	safejs.Global().Set("safetrace", root)
	if ready, err := safejs.Global().Get("safetraceReady"); err == nil && ready.Type() == safejs.TypeFunction {
		ready.Invoke()
	}
	select {}
}

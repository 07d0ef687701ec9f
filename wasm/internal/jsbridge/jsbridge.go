//go:build js && wasm

// Package jsbridge is what the browser modules (the visitor app's, wasm/,
// and the poster page's, wasm/poster) share: one global object, safetrace,
// with one object of methods per feature (safetrace.app.*,
// safetrace.poster.*). Every method returns a Promise, resolved from a
// goroutine: nothing blocks inside a js.FuncOf callback. When the object is
// ready, Run calls the global function safetraceReady if the page defined
// one.
//
// A feature file adds itself from init and the module's main calls Run:
//
//	func init() { jsbridge.Register("poster", map[string]jsbridge.Method{"make": makePoster}) }
//	func main() { jsbridge.Run() }
package jsbridge

import (
	"fmt"
	"sync"

	"github.com/hack-pad/safejs"
)

// A Method is one function of a feature object. It runs on its own
// goroutine, never inside the js.FuncOf callback; its result must be
// acceptable to js.ValueOf (nil, bool, numbers, string, []any,
// map[string]any), with safejs values allowed anywhere inside. An error
// rejects the Promise with a JS Error carrying its message.
type Method func(args []safejs.Value) (any, error)

type feature struct {
	methods map[string]Method
	mu      *sync.Mutex // nil: the methods may run concurrently
}

var features = map[string]feature{}

// Register adds the feature object safetrace[name] with the given methods.
// Its methods run one at a time (they may share state without locks). Call
// it from init.
func Register(name string, methods map[string]Method) {
	features[name] = feature{methods: methods, mu: new(sync.Mutex)}
}

// RegisterConcurrent is Register for methods that may run at the same time
// (a QR decode while an upload waits for the relay); they lock their own
// state.
func RegisterConcurrent(name string, methods map[string]Method) {
	features[name] = feature{methods: methods}
}

// promised wraps m as a JS function returning a Promise.
func promised(m Method, mu *sync.Mutex) (safejs.Func, error) {
	return safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		var resolve, reject safejs.Value
		exec, err := safejs.FuncOf(func(_ safejs.Value, a []safejs.Value) any {
			resolve, reject = a[0], a[1]
			return nil
		})
		if err != nil {
			return nil
		}
		ctor, err := safejs.Global().Get("Promise")
		if err != nil {
			exec.Release()
			return nil
		}
		p, err := ctor.New(exec.Value())
		exec.Release() // the executor runs synchronously inside new Promise
		if err != nil {
			return nil
		}
		go func() {
			if mu != nil {
				mu.Lock()
			}
			res, err := call(m, args)
			if mu != nil {
				mu.Unlock()
			}
			if err == nil {
				// Invoke converts safejs values inside maps and slices,
				// which safejs.ValueOf does not.
				if _, err = resolve.Invoke(res); err == nil {
					return
				}
			}
			errCtor, _ := safejs.Global().Get("Error")
			e, _ := errCtor.New(err.Error())
			reject.Invoke(e)
		}()
		return p
	})
}

// call runs m, turning a panic into an error so one bad call cannot stop
// the client.
func call(m Method, args []safejs.Value) (res any, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("internal error: %v", r)
		}
	}()
	return m(args)
}

// Run adds the registered features to the global object safetrace (made
// if missing: a page may run two modules, the poster page's maker and its
// warning module, each adding its own features), calls safetraceReady if
// the page defined one, and never returns.
func Run() {
	root, err := safejs.Global().Get("safetrace")
	if err != nil || root.Type() != safejs.TypeObject {
		if root, err = safejs.ValueOf(map[string]any{}); err != nil {
			panic(err)
		}
	}
	for name, f := range features {
		obj, _ := safejs.ValueOf(map[string]any{})
		for k, m := range f.methods {
			fn, err := promised(m, f.mu)
			if err != nil {
				panic(fmt.Sprintf("safetrace.%s.%s: %v", name, k, err))
			}
			obj.Set(k, fn.Value())
		}
		root.Set(name, obj)
	}
	safejs.Global().Set("safetrace", root)
	if ready, err := safejs.Global().Get("safetraceReady"); err == nil && ready.Type() == safejs.TypeFunction {
		ready.Invoke()
	}
	select {}
}

// ArgString returns args[i] as a string.
func ArgString(args []safejs.Value, i int) (string, error) {
	if i >= len(args) {
		return "", fmt.Errorf("argument %d missing", i+1)
	}
	if args[i].Type() != safejs.TypeString {
		return "", fmt.Errorf("argument %d: want a string, got %s", i+1, args[i].Type())
	}
	return args[i].String()
}

// ArgFloat returns args[i] as a number.
func ArgFloat(args []safejs.Value, i int) (float64, error) {
	if i >= len(args) {
		return 0, fmt.Errorf("argument %d missing", i+1)
	}
	if args[i].Type() != safejs.TypeNumber {
		return 0, fmt.Errorf("argument %d: want a number, got %s", i+1, args[i].Type())
	}
	return args[i].Float()
}

// WantArgs checks the argument count.
func WantArgs(name string, args []safejs.Value, n int) error {
	if len(args) != n {
		return fmt.Errorf("%s: want %d arguments, got %d", name, n, len(args))
	}
	return nil
}

// ArgStrings checks that a call to name has n arguments and returns them,
// all strings.
func ArgStrings(name string, args []safejs.Value, n int) ([]string, error) {
	return argsOf(name, args, n, ArgString)
}

// ArgFloats checks that a call to name has n arguments and returns them,
// all numbers.
func ArgFloats(name string, args []safejs.Value, n int) ([]float64, error) {
	return argsOf(name, args, n, ArgFloat)
}

func argsOf[T any](name string, args []safejs.Value, n int, arg func([]safejs.Value, int) (T, error)) ([]T, error) {
	if err := WantArgs(name, args, n); err != nil {
		return nil, err
	}
	out := make([]T, n)
	for i := range out {
		var err error
		if out[i], err = arg(args, i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

//go:build js && wasm

// Command wasm is the visitor app's client compiled to WebAssembly
// (GOOS=js GOARCH=wasm; "make wasm" builds it into web/dist/ as
// app.<hash>.wasm). It sets safetrace.app.* (wasm/visitor.go) through
// wasm/internal/jsbridge; the poster page has its own module, wasm/poster,
// so this one carries no PDF writer, fonts or poster code (deps_test.go
// checks). The logic lives in plain Go packages tested natively
// (wasm/internal/visitor); the files here only convert arguments and
// results.
package main

import "github.com/safetrace/safetrace/wasm/internal/jsbridge"

func main() { jsbridge.Run() }

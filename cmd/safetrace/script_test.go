package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary act as the safetrace command inside script
// tests (and as the party processes those commands start).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"safetrace": func() {
			// As main does: SIGINT and SIGTERM end the context, so party
			// and relay processes started by tests shut down gracefully.
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := run(ctx, os.Args[1:]); err != nil {
				fmt.Fprintf(os.Stderr, "safetrace: error: %v\n", err)
				os.Exit(1)
			}
		},
	})
}

// TestScripts runs the command-line scripts in testdata/script.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("TESTDATA", mustAbs("../../mpc/circuit/testdata"))
			return nil
		},
	})
}

func mustAbs(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return wd + "/" + p
}

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary act as the safetrace command inside script
// tests (and as the party processes those commands start).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"safetrace": main})
}

// TestScripts runs the command-line scripts in testdata/script.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("TESTDATA", mustAbs("../../mpc/circuit/testdata"))
			env.Setenv("WEBROOT", mustAbs("../.."))
			return nil
		},
	})
}

func mustAbs(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	if _, err := os.Stat(abs); err != nil {
		panic(err)
	}
	return abs
}

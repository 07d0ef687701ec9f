package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
)

// TestMain lets the test binary act as the safetrace command inside script
// tests (and as the party processes those commands start).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"safetrace": main})
}

// TestScripts runs the command-line scripts in testdata/script. Each script
// gets $TESTDATA (the Bristol circuits), $WEBROOT (the repository, holding
// index.html and web/) and a run of free loopback ports: $WEBPORT,
// $RELAYPORT, $HTTPBASE (3 ports), $MESHBASE (3 ports) and $DESKPORT.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("TESTDATA", mustAbs("../../mpc/circuit/testdata"))
			env.Setenv("WEBROOT", mustAbs("../.."))
			base := fabrictest.FreePorts(t, 9)
			env.Setenv("WEBPORT", fmt.Sprint(base))
			env.Setenv("RELAYPORT", fmt.Sprint(base+1))
			env.Setenv("HTTPBASE", fmt.Sprint(base+2))
			env.Setenv("MESHBASE", fmt.Sprint(base+5))
			env.Setenv("DESKPORT", fmt.Sprint(base+8))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"httpget": httpget,
		},
	})
}

// httpget ADDR TARGET FILE sends "GET TARGET" to ADDR exactly as given (no
// path cleaning, as curl --path-as-is does), waiting up to 30 seconds for
// the server to listen, and writes the status code and the body to FILE.
// It fails unless the status is 200; with ! it fails if it is.
func httpget(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: httpget ADDR TARGET FILE")
	}
	addr, target, file := args[0], args[1], ts.MkAbs(args[2])
	deadline := time.Now().Add(30 * time.Second)
	var c net.Conn
	var err error
	for {
		if c, err = net.Dial("tcp", addr); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	ts.Check(err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target, addr)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	ts.Check(err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	ts.Check(err)
	ts.Check(os.WriteFile(file, []byte(fmt.Sprintf("%d\n%s", resp.StatusCode, body)), 0o644))
	if ok := resp.StatusCode == http.StatusOK; ok == neg {
		ts.Fatalf("GET %s: %s", target, strings.TrimSpace(resp.Status))
	}
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

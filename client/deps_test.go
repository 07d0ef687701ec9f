//go:build !js

package client_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBrowserDeps checks that the client builds for js/wasm without server
// code: no store, bbolt, party server, relay server or gorilla/websocket.
func TestBrowserDeps(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	cmd := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".")
	cmd.Env = append(cmd.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		for _, bad := range []string{"party/store", "party/server", "bbolt", "gorilla", "safetrace/relay\n"} {
			if strings.Contains(p+"\n", bad) {
				t.Errorf("client imports %s under js/wasm", p)
			}
		}
	}
}

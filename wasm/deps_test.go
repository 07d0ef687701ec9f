package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the browser client from linking server code: anything
// under party/, the computation host and jobs, bbolt, the epoch and the
// native WebSocket library.
func TestDeps(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", ".")
	cmd.Env = append(cmd.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, bad := range []string{"go.etcd.io/bbolt", "github.com/gorilla/websocket",
			"github.com/safetrace/safetrace/party/", "github.com/safetrace/safetrace/compute",
			"github.com/safetrace/safetrace/epoch", "github.com/safetrace/safetrace/regionmap/regionjob",
			"github.com/chromedp/"} {
			if strings.HasPrefix(dep, bad) {
				t.Errorf("the WebAssembly client links %s", dep)
			}
		}
	}
}

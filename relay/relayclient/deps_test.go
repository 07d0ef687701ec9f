package relayclient

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the browser build of the client free of server code and of
// gorilla/websocket (which cannot dial from a browser), every build of it
// free of the relay's metrics library, and the wire format free of
// third-party imports.
func TestDeps(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	deps := func(pkg string, env ...string) []string {
		cmd := exec.Command("go", "list", "-deps", pkg)
		cmd.Env = append(cmd.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		return strings.Fields(string(out))
	}
	js := deps("github.com/safetrace/safetrace/relay/relayclient", "GOOS=js", "GOARCH=wasm")
	if !strings.Contains(strings.Join(js, " "), "github.com/safetrace/safetrace/wire/relaywire") {
		t.Fatalf("go list output lacks relaywire: %v", js)
	}
	for _, d := range js {
		if d == "github.com/safetrace/safetrace/relay" || strings.HasPrefix(d, "github.com/gorilla/") {
			t.Errorf("relayclient for js/wasm depends on %s", d)
		}
	}
	for _, d := range append(js, deps("github.com/safetrace/safetrace/relay/relayclient")...) {
		if strings.HasPrefix(d, "github.com/prometheus/") {
			t.Errorf("relayclient depends on %s", d)
		}
	}
	for _, d := range deps("github.com/safetrace/safetrace/wire/relaywire") {
		if strings.Contains(strings.SplitN(d, "/", 2)[0], ".") && !strings.HasPrefix(d, "github.com/safetrace/safetrace/") {
			t.Errorf("relaywire depends on third-party package %s", d)
		}
	}
}

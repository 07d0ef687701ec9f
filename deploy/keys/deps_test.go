package keys_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBrowserDeps checks that the packages the browser client links
// (manifest, keys, authority) build for js/wasm and import only the standard
// library and each other: no store, no server code, no third-party modules.
func TestBrowserDeps(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	pkgs := []string{"../manifest", "../keys", "../authority"}
	cmd := exec.Command(goTool, append([]string{"list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}"}, pkgs...)...)
	cmd.Env = append(cmd.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := map[string]bool{
		"github.com/safetrace/safetrace/deploy/manifest":  true,
		"github.com/safetrace/safetrace/deploy/keys":      true,
		"github.com/safetrace/safetrace/deploy/authority": true,
		"github.com/safetrace/safetrace/trace":            true, // a leaf: the record and risk rules that Params.Trace derives
	}
	for _, p := range strings.Fields(string(out)) {
		if !allowed[p] {
			t.Errorf("browser packages import %s", p)
		}
	}
}

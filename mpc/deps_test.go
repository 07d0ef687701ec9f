package mpc_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the MPC core and the epoch auditable: they may import only
// the standard library, golang.org/x/crypto, the ristretto255 module (with
// the edwards25519 module under it), each other and wire/record (the
// record share the epoch carries, itself on the MPC core alone).
func TestDeps(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}",
		"github.com/safetrace/safetrace/mpc/...", "github.com/safetrace/safetrace/epoch").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := []string{
		"github.com/safetrace/safetrace/mpc",
		"github.com/safetrace/safetrace/epoch",
		"github.com/safetrace/safetrace/wire/record",
		"golang.org/x/crypto/",
		"github.com/gtank/ristretto255",
		"filippo.io/edwards25519",
	}
	for _, p := range strings.Fields(string(out)) {
		ok := false
		for _, a := range allowed {
			ok = ok || strings.HasPrefix(p, a)
		}
		if !ok {
			t.Errorf("the MPC core depends on %s", p)
		}
	}
}

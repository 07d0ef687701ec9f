package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/deploy/manifest"
)

func mustRun(t *testing.T, args ...string) {
	t.Helper()
	if err := Run(context.Background(), args); err != nil {
		t.Fatalf("safetrace %s: %v", strings.Join(args, " "), err)
	}
}

func runErr(t *testing.T, want string, args ...string) {
	t.Helper()
	err := Run(context.Background(), args)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("safetrace %s: got %v, want an error containing %q", strings.Join(args, " "), err, want)
	}
}

func loadManifest(t *testing.T, path string) *manifest.Manifest {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestManifestInitVerify(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustRun(t, "manifest", "init", "--parties", "3", "--threshold", "1", "--out", dir, "--mesh-base-port", "9001")
	mpath := filepath.Join(dir, "manifest.json")
	mustRun(t, "manifest", "verify", mpath)
	for _, f := range []string{"party1.key", "party2.key", "party3.key", "authority.key"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("%s has mode %v", f, st.Mode().Perm())
		}
	}
	if m := loadManifest(t, mpath); m.Parties[2].Mesh != "127.0.0.1:9003" {
		t.Fatalf("mesh %q", m.Parties[2].Mesh)
	}
	runErr(t, "refusing to overwrite", "manifest", "init", "--out", dir)

	// Any change after signing invalidates every signature.
	b, _ := os.ReadFile(mpath)
	os.WriteFile(mpath, []byte(strings.Replace(string(b), `"retention_days": 14`, `"retention_days": 30`, 1)), 0o644)
	runErr(t, "invalid signatures by parties [1 2 3]", "manifest", "verify", mpath)
	// A syntactic change is reported too.
	os.WriteFile(mpath, []byte(strings.Replace(string(b), `"version": 1`, `"version": 1, "extra": true`, 1)), 0o644)
	runErr(t, "unknown field", "manifest", "verify", mpath)
	// Re-signing by all parties makes the changed manifest valid again.
	os.WriteFile(mpath, []byte(strings.Replace(string(b), `"retention_days": 14`, `"retention_days": 30`, 1)), 0o644)
	for i := 1; i <= 3; i++ {
		mustRun(t, "manifest", "sign", "--manifest", mpath, "--key", filepath.Join(dir, fmt.Sprintf("party%d.key", i)))
	}
	mustRun(t, "manifest", "verify", mpath)
	if m := loadManifest(t, mpath); m.Params.RetentionDays != 30 || len(m.Signatures) != 3 {
		t.Fatal("re-signed manifest lost the change or has extra signatures")
	}
	runErr(t, "usage", "manifest", "verify")
	runErr(t, "no such file", "manifest", "verify", filepath.Join(dir, "missing.json"))
}

// The operator flow: each party makes its keys, the coordinator assembles the
// public parts, each party signs.
func TestOperatorFlow(t *testing.T) {
	dir := t.TempDir()
	p := func(f string) string { return filepath.Join(dir, f) }
	for i := 1; i <= 3; i++ {
		mustRun(t, "party", "keygen", "--id", fmt.Sprint(i), "--name", fmt.Sprintf("Org %c", 'A'+i-1),
			"--mesh", fmt.Sprintf("party%d.example:7001", i), "--out", p(fmt.Sprintf("p%d.key", i)), "--public", p(fmt.Sprintf("p%d.pub", i)))
	}
	mustRun(t, "authority", "keygen", "--name", "Health Dept", "--out", p("ha.key"), "--public", p("ha.pub"))
	mustRun(t, "manifest", "create", "--party", p("p3.pub"), "--party", p("p1.pub"), "--party", p("p2.pub"),
		"--authority", p("ha.pub"), "--threshold", "1", "--relay", "wss://relay.example/ws",
		"--origin", "https://safetrace.example", "--deployment", "pilot", "--out", p("manifest.json"))
	runErr(t, "no signature by parties [1 2 3]", "manifest", "verify", p("manifest.json"))
	mustRun(t, "manifest", "sign", "--manifest", p("manifest.json"), "--key", p("p1.key"))
	mustRun(t, "manifest", "sign", "--manifest", p("manifest.json"), "--key", p("p2.key"))
	mustRun(t, "manifest", "sign", "--manifest", p("manifest.json"), "--key", p("p2.key")) // re-sign replaces
	runErr(t, "no signature by parties [3]", "manifest", "verify", p("manifest.json"))
	mustRun(t, "manifest", "sign", "--manifest", p("manifest.json"), "--key", p("p3.key"))
	mustRun(t, "manifest", "verify", p("manifest.json"))
	m := loadManifest(t, p("manifest.json"))
	if m.Deployment != "pilot" || m.Parties[0].Name != "Org A" || len(m.Signatures) != 3 {
		t.Fatalf("unexpected manifest: %+v", m)
	}
	// A key of another deployment cannot sign.
	mustRun(t, "party", "keygen", "--id", "1", "--name", "Impostor", "--mesh", "x:1", "--out", p("other.key"))
	runErr(t, "does not match the sign_key of party 1", "manifest", "sign", "--manifest", p("manifest.json"), "--key", p("other.key"))
	runErr(t, "unknown subcommand", "party", "serve")
	runErr(t, "required", "party", "--manifest", p("manifest.json"))
	// A party whose key is not its manifest entry refuses to start.
	runErr(t, "does not match its entry", "party", "--manifest", p("manifest.json"), "--key", p("other.key"), "--data", p("data"))
	runErr(t, "required", "party", "keygen", "--id", "1")
}

func TestAuthorityIssue(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "manifest", "init", "--out", dir)
	codesFile := filepath.Join(dir, "codes.txt")
	mustRun(t, "authority", "issue", "--key", filepath.Join(dir, "authority.key"), "--count", "3", "--valid", "2d", "--out", codesFile)
	b, err := os.ReadFile(codesFile)
	if err != nil {
		t.Fatal(err)
	}
	m := loadManifest(t, filepath.Join(dir, "manifest.json"))
	codes := strings.Fields(string(b))
	if len(codes) != 3 {
		t.Fatalf("%d codes", len(codes))
	}
	for _, c := range codes {
		if _, _, err := authority.Verify(m, c); err != nil {
			t.Fatal(err)
		}
	}
	other := t.TempDir()
	mustRun(t, "manifest", "init", "--out", other)
	if _, _, err := authority.Verify(loadManifest(t, filepath.Join(other, "manifest.json")), codes[0]); err == nil {
		t.Fatal("code verified against another deployment")
	}
	runErr(t, "validity", "authority", "issue", "--key", filepath.Join(dir, "authority.key"), "--valid", "forever")
	runErr(t, "count", "authority", "issue", "--key", filepath.Join(dir, "authority.key"), "--count", "0")
}

package keys_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/safetrace/safetrace/deploy/keys"
)

func TestKeyFile(t *testing.T) {
	k, err := keys.Generate(2, "Org B", "127.0.0.1:7002")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "party2.key")
	if err := k.Save(path); err != nil {
		t.Fatal(err)
	}
	if err := k.Save(path); err == nil {
		t.Fatal("Save overwrote an existing key file")
	}
	st, _ := os.Stat(path)
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	k2, err := keys.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p1, p2 := k.Public(), k2.Public()
	if p1.ID != p2.ID || p1.Name != p2.Name || p1.Mesh != p2.Mesh ||
		!bytes.Equal(p1.HPKEKey, p2.HPKEKey) || !bytes.Equal(p1.SignKey, p2.SignKey) {
		t.Fatalf("loaded key differs: %+v %+v", p1, p2)
	}
	switch runtime.GOOS {
	case "windows", "js", "wasip1", "plan9": // no permission check there
	default:
		os.Chmod(path, 0o644)
		if _, err := keys.Load(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("loaded a world-readable key: %v", err)
		}
	}
	if _, err := keys.Parse([]byte(`{"type":"safetrace party key v1","party":1,"sign_seed":"AA==","hpke_private":"AA=="}`)); err == nil {
		t.Fatal("parsed a short seed")
	}
	if _, err := keys.Generate(0, "x", "y:1"); err == nil {
		t.Fatal("generated party 0")
	}
}

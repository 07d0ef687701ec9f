package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safetrace/safetrace/deploy/keys"
)

// TestProcessesRegionMapSimulate runs 'safetrace compute simulate
// region-map' against real party and relay processes: uploads through the
// relay, the run through the runner over the parties' TLS mesh, the map
// checked against the oracle; then 'compute result' prints it.
func TestProcessesRegionMapSimulate(t *testing.T) {
	pd := newProcDeployment(t)
	ab, err := pd.d.Authority.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.WriteSecretFile(filepath.Join(pd.dir, "authority.key"), ab); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := computeSimulate(ctx, []string{"--manifest", pd.mpath, "--participants", "80", "--seed", "9"}, &out); err != nil {
		t.Fatalf("simulate: %v\n%s\nparty 1 log:\n%s", err, out.String(), pd.logs["party1"].String())
	}
	line := out.String()
	if !strings.HasPrefix(line, "participants=80 ") || !strings.Contains(line, " mismatches=0 ") || strings.Contains(line, "regions_released=0 ") {
		t.Fatalf("simulate printed %q", line)
	}
	t.Log(strings.TrimSpace(line))
	out.Reset()
	if err := computeResult(ctx, []string{"--manifest", pd.mpath}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), pd.d.Manifest.Params.Regions[0]+",") {
		t.Fatalf("result printed %q", out.String())
	}
}

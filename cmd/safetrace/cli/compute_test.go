package cli

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safetrace/safetrace/deploy/keys"
	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
)

// TestComputeSimulateInProcess runs 'compute simulate region-map',
// 'compute run region-map' and 'compute result region-map' against an
// in-process deployment: a real relay, in-process parties, the runner over
// the TLS mesh on loopback.
func TestComputeSimulateInProcess(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	dir := t.TempDir()
	mpath := filepath.Join(dir, "manifest.json")
	if err := keys.WriteSecretFile(mpath, d.ManifestBytes); err != nil {
		t.Fatal(err)
	}
	ab, err := d.Authority.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.WriteSecretFile(filepath.Join(dir, "authority.key"), ab); err != nil {
		t.Fatal(err)
	}
	for i, k := range d.Deployment.Parties[:d.Manifest().T+1] {
		if err := k.Save(filepath.Join(dir, fmt.Sprintf("party%d.key", i+1))); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := computeResult(ctx, []string{"--manifest", mpath}, &out); err == nil || !strings.Contains(err.Error(), "no region map") {
		t.Fatalf("result before any run: %v", err)
	}
	if err := computeSimulate(ctx, []string{"--manifest", mpath, "--participants", "60", "--seed", "3"}, &out); err != nil {
		t.Fatalf("simulate: %v\n%s", err, out.String())
	}
	line := out.String()
	if !strings.HasPrefix(line, "participants=60 regions_released=") || !strings.Contains(line, "mismatches=0") {
		t.Fatalf("simulate printed %q", line)
	}
	if strings.Contains(line, "regions_released=0 ") {
		t.Fatalf("nothing released: %q", line)
	}
	out.Reset()
	if err := computeResult(ctx, []string{"--manifest", mpath}, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], d.Manifest().Params.Regions[0]+",") {
		t.Fatalf("result printed %q", out.String())
	}
	// An on-demand run with nothing to do.
	out.Reset()
	if err := runCompute(ctx, []string{"run", "region-map", "--manifest", mpath}); err != nil {
		t.Fatalf("compute run: %v", err)
	}
	// A second simulation takes the day before.
	out.Reset()
	if err := computeSimulate(ctx, []string{"--manifest", mpath, "--participants", "30", "--seed", "4"}, &out); err != nil || !strings.Contains(out.String(), "mismatches=0") {
		t.Fatalf("second simulate: %v %q", err, out.String())
	}
}

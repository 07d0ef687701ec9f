package transport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// The multi-process tests run each party as a child process: the test binary
// itself, re-executed to run TestHelperProcess with helperEnv set to a JSON
// helperConfig. A child's listener is passed as file descriptor 3, so no port
// can be taken between the parent choosing it and the child using it.
const helperEnv = "SAFETRACE_TRANSPORT_HELPER"

type helperConfig struct {
	ID      int
	Seed    []byte // Ed25519 private key seed
	Peers   map[int]Peer
	Session []byte
	Timeout time.Duration
	// Mode is "rounds" (run Rounds rounds and print "ok"), "stall" (run one
	// round, print "ready" and wait to be killed) or "until-fail" (run
	// rounds until one fails, print "failed: <error>").
	Mode   string
	Rounds int
}

func TestHelperProcess(t *testing.T) {
	js := os.Getenv(helperEnv)
	if js == "" {
		t.Skip("only run as a child of TestProcesses")
	}
	var hc helperConfig
	if err := json.Unmarshal([]byte(js), &hc); err != nil {
		fmt.Println("bad config:", err)
		os.Exit(2)
	}
	ln, err := net.FileListener(os.NewFile(3, "listener"))
	if err != nil {
		fmt.Println("listener:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	c, err := NewMesh(ctx, MeshConfig{
		ID: hc.ID, Key: ed25519.NewKeyFromSeed(hc.Seed), Peers: hc.Peers,
		Listener: ln, Session: hc.Session, Timeout: hc.Timeout,
	})
	if err != nil {
		fmt.Println("mesh:", err)
		os.Exit(1)
	}
	round := func(r int) error {
		out := make([][]byte, c.N())
		for j := range out {
			// Big enough to need concurrent sends and receives.
			out[j] = bytes.Repeat(msgFor(c.ID(), j+1, r), 1<<14)
		}
		in, err := Exchange(ctx, c, out)
		if err != nil {
			return err
		}
		for j := range in {
			if want := bytes.Repeat(msgFor(j+1, c.ID(), r), 1<<14); !bytes.Equal(in[j], want) {
				return fmt.Errorf("round %d: wrong message from party %d", r, j+1)
			}
		}
		return nil
	}
	switch hc.Mode {
	case "rounds":
		for r := range hc.Rounds {
			if err := round(r); err != nil {
				fmt.Println("error:", err)
				os.Exit(1)
			}
		}
		fmt.Println("ok")
	case "stall":
		if err := round(0); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "until-fail":
		for r := 0; ; r++ {
			if err := round(r); err != nil {
				fmt.Println("failed:", err)
				break
			}
		}
	}
	c.Close()
	os.Exit(0)
}

// startParties starts one child process per party.
func startParties(t *testing.T, timeout time.Duration, modes []string) ([]*exec.Cmd, []*bytes.Buffer, []*bufio.Scanner) {
	t.Helper()
	cfgs, err := LocalMeshConfigs(len(modes))
	if err != nil {
		t.Fatal(err)
	}
	cmds := make([]*exec.Cmd, len(modes))
	stderr := make([]*bytes.Buffer, len(modes))
	stdout := make([]*bufio.Scanner, len(modes))
	for i, cfg := range cfgs {
		f, err := cfg.Listener.(*net.TCPListener).File()
		if err != nil {
			t.Fatal(err)
		}
		cfg.Listener.Close()
		js, _ := json.Marshal(helperConfig{
			ID: cfg.ID, Seed: cfg.Key.Seed(), Peers: cfg.Peers, Session: cfg.Session,
			Timeout: timeout, Mode: modes[i], Rounds: 5,
		})
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		// The race detector would otherwise wait a second at exit.
		cmd.Env = append(os.Environ(), helperEnv+"="+string(js), "GORACE=atexit_sleep_ms=0")
		cmd.ExtraFiles = []*os.File{f}
		stderr[i] = new(bytes.Buffer)
		cmd.Stderr = stderr[i]
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout[i] = bufio.NewScanner(out)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		cmds[i] = cmd
		t.Cleanup(func() { cmd.Process.Kill() })
	}
	return cmds, stderr, stdout
}

// firstLine returns the first line a party prints.
func firstLine(s *bufio.Scanner) string {
	if s.Scan() {
		return s.Text()
	}
	return "(no output)"
}

func TestProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	cmds, stderr, stdout := startParties(t, 10*time.Second, []string{"rounds", "rounds", "rounds"})
	var wg sync.WaitGroup
	for i, cmd := range cmds {
		wg.Go(func() {
			line := firstLine(stdout[i])
			err := cmd.Wait()
			if line != "ok" || err != nil {
				t.Errorf("party %d: %s (%v)\n%s", i+1, line, err, stderr[i])
			}
		})
	}
	wg.Wait()
}

// TestProcessKilled kills party 3 in the middle of a computation: the others
// must fail promptly rather than after their timeout, and at least one must
// name party 3. (The other may see the first survivor leave before it notices
// party 3 is gone.)
func TestProcessKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	const timeout = 20 * time.Second
	cmds, stderr, stdout := startParties(t, timeout, []string{"until-fail", "until-fail", "stall"})
	if line := firstLine(stdout[2]); line != "ready" {
		t.Fatalf("party 3: %s\n%s", line, stderr[2])
	}
	killed := time.Now()
	if err := cmds[2].Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmds[2].Wait()
	var wg sync.WaitGroup
	lines := make([]string, 2)
	for i := range 2 {
		wg.Go(func() {
			line := firstLine(stdout[i])
			lines[i] = line
			d := time.Since(killed)
			err := cmds[i].Wait()
			t.Logf("party %d after %v: %s", i+1, d, line)
			if err != nil || !strings.HasPrefix(line, "failed:") || !strings.Contains(line, "peer gone") {
				t.Errorf("party %d: %s (%v)\n%s", i+1, line, err, stderr[i])
			}
			if d > timeout/2 {
				t.Errorf("party %d noticed after %v", i+1, d)
			}
		})
	}
	wg.Wait()
	if !strings.Contains(lines[0], "party 3") && !strings.Contains(lines[1], "party 3") {
		t.Errorf("no party blames party 3: %q", lines)
	}
}

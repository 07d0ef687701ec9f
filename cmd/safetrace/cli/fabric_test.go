package cli

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
	"github.com/safetrace/safetrace/internal/testenv/localdeploy"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/trace"
	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
)

// procDeployment is a deployment of real processes of this test binary
// acting as safetrace: a relay ("safetrace dev relay") and n parties
// ("safetrace party"), on loopback.
type procDeployment struct {
	t     *testing.T
	dir   string
	mpath string
	relay string // listen address
	d     *localdeploy.Deployment
	mb    []byte
	// args is the command line of the named process ("relay" or a party's
	// name), after "safetrace".
	args func(name string) []string

	mu    sync.Mutex
	procs map[string]*exec.Cmd
	logs  map[string]*fabrictest.SyncBuffer
}

// freeAddr returns a loopback address that was free a moment ago, below
// the ephemeral port range, for another process to bind.
func freeAddr(t *testing.T) string {
	return fmt.Sprintf("127.0.0.1:%d", fabrictest.FreePorts(t, 1))
}

func newProcDeployment(t *testing.T) *procDeployment {
	pd := setUpProcDeployment(t)
	pd.args = func(name string) []string {
		if name == "relay" {
			return []string{"relay", "--manifest", pd.mpath, "--listen", pd.relay, "--log-level", "debug"}
		}
		return []string{"party", "--manifest", pd.mpath, "--key", filepath.Join(pd.dir, name+".key"),
			"--data", filepath.Join(pd.dir, name), "--log-level", "debug", "--mesh-timeout", "3s"}
	}
	pd.start("relay")
	for i := 1; i <= 3; i++ {
		pd.start(fmt.Sprintf("party%d", i))
	}
	return pd
}

// setUpProcDeployment makes a deployment of 3 parties, writes its manifest
// and the parties' keys (partyI.key) in a temporary directory, and stops
// every process started when the test ends; it starts none.
func setUpProcDeployment(t *testing.T) *procDeployment {
	if testing.Short() {
		t.Skip("starts processes")
	}
	pd := &procDeployment{t: t, dir: t.TempDir(), relay: freeAddr(t),
		procs: map[string]*exec.Cmd{}, logs: map[string]*fabrictest.SyncBuffer{}}
	var err error
	pd.d, err = localdeploy.New(3, 1, localdeploy.Options{Relay: "ws://" + pd.relay + "/ws", MeshBasePort: fabrictest.FreePorts(t, 3)})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range pd.d.Parties {
		if err := k.Save(filepath.Join(pd.dir, fmt.Sprintf("party%d.key", k.ID))); err != nil {
			t.Fatal(err)
		}
	}
	pd.mpath = filepath.Join(pd.dir, "manifest.json")
	if err := writeManifest(pd.mpath, pd.d.Manifest); err != nil {
		t.Fatal(err)
	}
	pd.mb, _ = os.ReadFile(pd.mpath)
	t.Cleanup(pd.stopAll)
	return pd
}

// start starts the named process with the command line pd.args gives.
func (pd *procDeployment) start(name string) {
	pd.t.Helper()
	exe, err := os.Executable()
	if err != nil {
		pd.t.Fatal(err)
	}
	cmd := exec.Command(exe, pd.args(name)...)
	cmd.Args[0] = "safetrace"
	pd.mu.Lock()
	if pd.logs[name] == nil {
		pd.logs[name] = &fabrictest.SyncBuffer{}
	}
	cmd.Stdout, cmd.Stderr = pd.logs[name], pd.logs[name]
	pd.mu.Unlock()
	if err := cmd.Start(); err != nil {
		pd.t.Fatal(err)
	}
	pd.mu.Lock()
	pd.procs[name] = cmd
	pd.mu.Unlock()
}

// stop ends the named process with SIGKILL (crash) or SIGTERM (graceful).
func (pd *procDeployment) stop(name string, sig syscall.Signal) {
	pd.mu.Lock()
	cmd := pd.procs[name]
	delete(pd.procs, name)
	pd.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(sig)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-done
		pd.t.Errorf("%s did not stop on %v", name, sig)
	}
}

// stopAll stops every running process with SIGTERM, the parties' in order
// of name and the relay last.
func (pd *procDeployment) stopAll() {
	pd.mu.Lock()
	var names []string
	for n := range pd.procs {
		if n != "relay" {
			names = append(names, n)
		}
	}
	pd.mu.Unlock()
	slices.Sort(names)
	for _, n := range append(names, "relay") {
		pd.stop(n, syscall.SIGTERM)
	}
}

func (pd *procDeployment) client(t *testing.T) *client.Client {
	h := pd.d.Manifest.Hash()
	c, err := client.New(pd.mb, h[:], nil, nil, client.WithBackoff(50*time.Millisecond, 500*time.Millisecond),
		client.WithAttemptWait(3*time.Second), client.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func testRecords(n, seed int) []trace.Record {
	today := trace.DayOf(time.Now())
	rs := make([]trace.Record, n)
	for i := range rs {
		rs[i] = trace.Record{Key: sha512.Sum512(fmt.Appendf(nil, "proc test %d/%d", seed, i)), Minutes: 10, Day: today}
	}
	return rs
}

// checkStores stops the parties and checks that every party holds exactly
// the records of the receipted uploads: all of an upload's records or none.
func (pd *procDeployment) checkStores(t *testing.T, want map[string]int) {
	pd.stopAll()
	for i := 1; i <= 3; i++ {
		st, err := store.Open(filepath.Join(pd.dir, fmt.Sprintf("party%d", i), "party.db"))
		if err != nil {
			t.Fatal(err)
		}
		checkHeld(t, i, st, want)
		st.Close()
	}
}

// recordReader is a party's store, of either backend, as checkHeld reads it.
type recordReader interface {
	ForEachRecord(from, to record.Day, fn func(r *store.Record) error) error
}

// checkHeld checks that party's store holds exactly the records of the
// receipted uploads want (upload id -> records) and returns how many
// uploads and records it holds.
func checkHeld(t *testing.T, party int, st recordReader, want map[string]int) (uploads, records int) {
	t.Helper()
	got := map[string]int{}
	err := st.ForEachRecord(0, 1<<32-1, func(r *store.Record) error { got[string(r.UploadID)]++; records++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	for id, n := range want {
		if got[id] != n {
			t.Errorf("party %d holds %d records of receipted upload %x, want %d", party, got[id], id[:4], n)
		}
	}
	for id, n := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("party %d holds %d records of upload %x, never receipted", party, n, id[:4])
		}
	}
	return len(got), records
}

func TestProcessesCrashRestart(t *testing.T) {
	pd := newProcDeployment(t)
	c := pd.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	var mu sync.Mutex
	receipted := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w := range 4 {
		wg.Go(func() {
			for i := range 12 {
				st, err := c.Upload(ctx, wire.KindOrdinary, "", testRecords(20, w*100+i))
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				receipted[string(st.UploadID[:])] = st.Records
				mu.Unlock()
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	pd.stop("party2", syscall.SIGKILL) // crash
	time.Sleep(700 * time.Millisecond)
	pd.start("party2")
	time.Sleep(300 * time.Millisecond)
	pd.stop("relay", syscall.SIGKILL)
	mu.Lock()
	before := len(receipted)
	mu.Unlock()
	time.Sleep(500 * time.Millisecond)
	pd.start("relay")
	wg.Wait()
	if before >= 48 {
		t.Fatal("every upload finished before the relay restarted; the test proves nothing")
	}
	close(errs)
	for err := range errs {
		t.Fatalf("upload failed: %v", err)
	}
	if len(receipted) != 48 {
		t.Fatalf("%d uploads receipted, want 48", len(receipted))
	}

	// A positive report; its code is refused after all parties restart.
	codes, err := authority.Issue(pd.d.Authority, 2, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Upload(ctx, wire.KindPositive, codes[0], testRecords(3, 999))
	if err != nil {
		t.Fatal(err)
	}
	receipted[string(st.UploadID[:])] = 3
	for _, n := range []string{"party1", "party2", "party3"} {
		pd.stop(n, syscall.SIGTERM)
		pd.start(n)
	}
	_, err = c.Upload(ctx, wire.KindPositive, codes[0], testRecords(3, 1000))
	var we *wire.Error
	if !errors.As(err, &we) || we.Code != wire.CodeCodeUsed {
		t.Fatalf("reused code after restart: %v", err)
	}
	_, err = c.Upload(ctx, wire.KindPositive, strings.Replace(codes[1], codes[1][:4], "ZZZZ", 1), testRecords(3, 1001))
	if !errors.As(err, &we) || we.Code != wire.CodeCodeInvalid {
		t.Fatalf("forged code: %v", err)
	}
	pd.checkStores(t, receipted)

	// The relay never saw plaintext: neither the code nor the token.
	rlog := pd.logs["relay"].String()
	if !strings.Contains(rlog, "party") {
		t.Fatalf("relay log looks empty: %q", rlog)
	}
	for _, marker := range []string{codes[0], hex.EncodeToString(c.State().Token), codes[0][:19]} {
		if strings.Contains(rlog, marker) {
			t.Errorf("relay log contains %q", marker)
		}
	}
}

func TestProcessesPartyStaysDown(t *testing.T) {
	pd := newProcDeployment(t)
	c := pd.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := c.Upload(ctx, wire.KindOrdinary, "", testRecords(5, 1)); err != nil {
		t.Fatal(err)
	}
	pd.stop("party3", syscall.SIGTERM)
	type res struct {
		st  *client.UploadStatus
		err error
	}
	done := make(chan res, 1)
	go func() {
		st, err := c.Upload(ctx, wire.KindOrdinary, "", testRecords(5, 2))
		done <- res{st, err}
	}()
	select {
	case r := <-done:
		t.Fatalf("upload finished while party 3 was down: %+v %v", r.st, r.err)
	case <-time.After(2 * time.Second):
	}
	pd.start("party3")
	select {
	case r := <-done:
		if r.err != nil || !r.st.Complete {
			t.Fatalf("upload after party 3 returned: %v", r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("upload still pending 30s after party 3 returned")
	}
}

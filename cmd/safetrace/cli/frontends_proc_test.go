package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/client/operator"
	"github.com/safetrace/safetrace/internal/testenv/pgtest"
	"github.com/safetrace/safetrace/party/server"
	"github.com/safetrace/safetrace/party/store/pgstore"
	"github.com/safetrace/safetrace/wire"
)

// feDeployment is 3 parties of 2 front ends each, every party on its own
// PostgreSQL schema, and a relay that keeps 2 connections per party: 7
// processes of this test binary acting as safetrace.
type feDeployment struct {
	*procDeployment
	dsn    [4]string // per party
	listen map[string]string
}

func feName(party int, fe string) string { return fmt.Sprintf("party%d%s", party, fe) }

func newFEDeployment(t *testing.T) *feDeployment {
	if testing.Short() {
		t.Skip("starts processes")
	}
	pgtest.Base(t)
	fd := &feDeployment{procDeployment: setUpProcDeployment(t), listen: map[string]string{}}
	for _, k := range fd.d.Parties {
		fd.dsn[k.ID] = pgtest.DSN(t)
	}
	fd.args = func(name string) []string {
		if name == "relay" {
			return []string{"relay", "--manifest", fd.mpath, "--listen", fd.relay, "--party-front-ends", "2"}
		}
		party := int(name[5] - '0')
		return []string{"party", "--manifest", fd.mpath, "--key", filepath.Join(fd.dir, fmt.Sprintf("party%d.key", party)),
			"--data", filepath.Join(fd.dir, fmt.Sprintf("party%d", party)), "--store", fd.dsn[party],
			"--listen", fd.listen[name], "--instance", name, "--lease-ttl", "3s", "--mesh-timeout", "5s"}
	}
	fd.start("relay")
	for i := 1; i <= 3; i++ {
		for _, fe := range []string{"a", "b"} {
			fd.listen[feName(i, fe)] = freeAddr(t)
			fd.start(feName(i, fe))
		}
	}
	return fd
}

// health returns the front end's /healthz, or ok false.
func (fd *feDeployment) health(name string) (server.Health, int, bool) {
	var h server.Health
	hc := http.Client{Timeout: time.Second}
	resp, err := hc.Get("http://" + fd.listen[name] + "/readyz")
	if err != nil {
		return h, 0, false
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return h, resp.StatusCode, false
	}
	return h, resp.StatusCode, true
}

// waitFor polls cond every 20 ms for at most d.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// holder returns the front end of party that holds its lease, or "".
func (fd *feDeployment) holder(party int) string {
	found := ""
	for _, fe := range []string{"a", "b"} {
		if h, code, ok := fd.health(feName(party, fe)); ok && code == 200 && h.LeaseHolder {
			if found != "" {
				fd.t.Fatalf("party %d: both front ends hold the lease", party)
			}
			found = feName(party, fe)
		}
	}
	return found
}

func (fd *feDeployment) allReady() bool {
	for i := 1; i <= 3; i++ {
		for _, fe := range []string{"a", "b"} {
			if _, code, ok := fd.health(feName(i, fe)); !ok || code != 200 {
				return false
			}
		}
		if fd.holder(i) == "" {
			return false
		}
	}
	return true
}

// TestProcessesFrontEndsKill: 3 parties of 2 front ends on PostgreSQL
// under a load of concurrent uploads. A front end without the lease and
// then the lease holder of another party are killed with SIGKILL and
// restarted; the lease moves within a bounded time, every receipted upload
// is in every party's database with all its records and nothing else is,
// and an exposure epoch runs on the new lease holder. Then a run that party
// 1's holder accepted and is running when it is killed is run by the next
// holder.
func TestProcessesFrontEndsKill(t *testing.T) {
	fd := newFEDeployment(t)
	waitFor(t, "all front ends ready, one lease holder per party", 30*time.Second, fd.allReady)
	h := fd.d.Manifest.Hash()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	var mu sync.Mutex
	receipted := map[string]int{}
	stopLoad := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	const workers, perUpload = 8, 20
	for w := range workers {
		wg.Go(func() {
			c, err := client.New(fd.mb, h[:], nil, nil, client.WithBackoff(50*time.Millisecond, 500*time.Millisecond),
				client.WithAttemptWait(5*time.Second))
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for i := 0; i < 10000; i++ {
				select {
				case <-stopLoad:
					return
				default:
				}
				st, err := c.Upload(ctx, wire.KindOrdinary, "", testRecords(perUpload, w*100000+i))
				if err != nil {
					errs <- fmt.Errorf("worker %d upload %d: %w", w, i, err)
					return
				}
				mu.Lock()
				receipted[string(st.UploadID[:])] = st.Records
				mu.Unlock()
			}
		})
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(receipted)
	}
	waitFor(t, "uploads flowing", 30*time.Second, func() bool { return count() >= 20 })

	// A front end without the lease dies.
	h2 := fd.holder(2)
	other2 := feName(2, "a")
	if h2 == other2 {
		other2 = feName(2, "b")
	}
	before := count()
	fd.stop(other2, syscall.SIGKILL)
	waitFor(t, "uploads after the kill of a front end", 30*time.Second, func() bool { return count() >= before+20 })
	fd.start(other2)

	// The lease holder of party 1 dies; the other front end takes over.
	h1 := fd.holder(1)
	if h1 == "" {
		t.Fatal("party 1 has no lease holder")
	}
	next := feName(1, "a")
	if h1 == next {
		next = feName(1, "b")
	}
	before = count()
	killed := time.Now()
	fd.stop(h1, syscall.SIGKILL)
	waitFor(t, "lease hand-over", 30*time.Second, func() bool {
		hh, code, ok := fd.health(next)
		return ok && code == 200 && hh.LeaseHolder
	})
	handover := time.Since(killed)
	t.Logf("lease of party 1 moved from %s to %s %.2fs after the kill (lease TTL 3s, renewed every 1s)", h1, next, handover.Seconds())
	if handover > 3*time.Second*4/3+2*time.Second {
		t.Errorf("hand-over took %v, bound 4/3 TTL plus slack", handover)
	}
	waitFor(t, "uploads after the kill of the lease holder", 30*time.Second, func() bool { return count() >= before+20 })
	fd.start(h1)
	waitFor(t, "all front ends ready again", 30*time.Second, fd.allReady)
	time.Sleep(500 * time.Millisecond)
	close(stopLoad)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	// An epoch runs on the lease holders (party 1's new one).
	oc, err := client.New(fd.mb, h[:], nil, nil, client.WithBackoff(50*time.Millisecond, 500*time.Millisecond), client.WithAttemptWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer oc.Close()
	var signers []operator.Signer
	for i := range fd.d.Manifest.T + 1 {
		signers = append(signers, operator.Signer{Party: i + 1, Key: fd.d.Parties[i].Sign})
	}
	ectx, ecancel := context.WithTimeout(ctx, 90*time.Second)
	defer ecancel()
	outs, err := operator.Run(ectx, oc, "exposure", signers, 100*time.Millisecond)
	if err != nil {
		t.Fatalf("epoch after the hand-over: %v", err)
	}
	t.Logf("epoch after the hand-over: %s", outs[0].Text)

	// A run the lease holder accepted survives its SIGKILL: the request
	// stays queued in the database and party 1's next holder runs it
	// under the same id, with the other parties.
	runID := [wire.IDSize]byte{0xfe, 0x01}
	issued := time.Now().Unix()
	ask := func(party int, start bool) (*wire.RunStatus, error) {
		msg, err := oc.Request(ectx, party, func(rk [wire.KeySize]byte) wire.Message {
			if !start {
				return &wire.StatusRequest{ReplyKey: rk, Name: "exposure", RunID: runID}
			}
			q := &wire.RunRequest{ReplyKey: rk, Name: "exposure", RunID: runID, Issued: issued}
			for _, sg := range signers {
				q.Sign(sg.Party, sg.Key, h)
			}
			return q
		})
		if err != nil {
			return nil, err
		}
		st, ok := msg.(*wire.RunStatus)
		if !ok {
			return nil, fmt.Errorf("party %d answered with a %v", party, msg.Type())
		}
		return st, nil
	}
	h1 = fd.holder(1)
	next = feName(1, "a")
	if h1 == next {
		next = feName(1, "b")
	}
	// Party 1 first (through either front end: the relay takes turns),
	// killed once its holder runs it, waiting for the others; then the
	// others (busy for the minimum interval after the last epoch).
	for party := 1; party <= 3; party++ {
		waitFor(t, fmt.Sprintf("party %d accepts the run", party), 30*time.Second, func() bool {
			st, err := ask(party, true)
			return err == nil && (st.State == wire.RunPending || st.State == wire.RunRunning)
		})
		if party == 1 {
			waitFor(t, "party 1's holder running the run", 30*time.Second, func() bool {
				st, err := ask(1, false)
				return err == nil && st.State == wire.RunRunning
			})
			fd.stop(h1, syscall.SIGKILL)
		}
	}
	waitFor(t, "the second lease hand-over", 30*time.Second, func() bool {
		hh, code, ok := fd.health(next)
		return ok && code == 200 && hh.LeaseHolder
	})
	waitFor(t, "the run accepted by the killed holder done at every party", 60*time.Second, func() bool {
		for party := 1; party <= 3; party++ {
			if st, err := ask(party, false); err != nil || st.State != wire.RunDone {
				return false
			}
		}
		return true
	})
	st, _ := ask(1, false)
	t.Logf("run accepted by %s before its SIGKILL, done by %s: %s", h1, next, st.Text)
	forwarded := 0
	fd.mu.Lock()
	for _, l := range fd.logs {
		forwarded += strings.Count(l.String(), "run request forwarded to the lease holder")
	}
	fd.mu.Unlock()
	t.Logf("run requests forwarded from a front end without the lease: %d", forwarded)
	fd.stopAll()

	records := 0
	for _, n := range receipted {
		records += n
	}
	for i := 1; i <= 3; i++ {
		st, err := pgstore.Open(context.Background(), fd.dsn[i], pgstore.DefaultKeyPath(filepath.Join(fd.dir, fmt.Sprintf("party%d", i))))
		if err != nil {
			t.Fatal(err)
		}
		uploads, found := checkHeld(t, i, st, receipted)
		st.Close()
		t.Logf("party %d: %d uploads (%d records) receipted, %d uploads (%d records) found", i, len(receipted), records, uploads, found)
	}
}

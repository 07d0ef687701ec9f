package cli

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/safetrace/safetrace/mpc/transport"
)

// meshJob tells a party process started by runParties who it is and how to
// reach the others.
type meshJob struct {
	ID, N, T int
	Key      []byte // ed25519 private key
	Peers    map[int]meshPeer
	Session  []byte
}

type meshPeer struct {
	Addr string
	Key  []byte
}

// processJob is what a party process reads from its standard input: its
// place in the mesh and its job.
type processJob[J any] struct {
	Mesh meshJob
	Job  J
}

// connect joins the TLS mesh, listening on the socket inherited as file
// descriptor 3.
func (j *meshJob) connect(ctx context.Context) (transport.Conn, error) {
	ln, err := net.FileListener(os.NewFile(3, "listener"))
	if err != nil {
		return nil, fmt.Errorf("party %d: inherited listener: %w", j.ID, err)
	}
	cfg := transport.MeshConfig{
		ID: j.ID, Key: ed25519.PrivateKey(j.Key), Peers: map[int]transport.Peer{},
		Listener: ln, Session: j.Session, Timeout: 60 * time.Second,
	}
	for id, p := range j.Peers {
		cfg.Peers[id] = transport.Peer{Addr: p.Addr, Key: ed25519.PublicKey(p.Key)}
	}
	return transport.NewMesh(ctx, cfg)
}

// partyProcess is the body of a hidden party command that runParties
// starts: it reads its job from stdin, joins the mesh, runs party and
// writes the result as JSON to stdout.
func partyProcess[J, R any](ctx context.Context, stdin io.Reader, stdout io.Writer, party func(context.Context, transport.Conn, J) (R, error)) error {
	var job processJob[J]
	if err := json.NewDecoder(stdin).Decode(&job); err != nil {
		return fmt.Errorf("party: reading job: %w", err)
	}
	conn, err := job.Mesh.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	res, err := party(ctx, conn, job.Job)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(res)
}

// runParties starts n party processes of this executable with the given
// arguments on loopback, with fresh mesh keys and pre-bound listeners; it
// writes jobs[i] with its place in the mesh as JSON to the standard input
// of party i+1 and decodes one R from its standard output. A process that
// fails makes the others stop; its standard error becomes the error.
func runParties[R, J any](ctx context.Context, args []string, n, t int, jobs []J) ([]R, error) {
	if len(jobs) != n {
		return nil, fmt.Errorf("%d jobs for %d parties", len(jobs), n)
	}
	exe, err := selfExecutable()
	if err != nil {
		return nil, err
	}
	session := make([]byte, 16)
	rand.Read(session)
	peers := make(map[int]meshPeer, n)
	keys := make([]ed25519.PrivateKey, n)
	lns := make([]*os.File, n)
	for i := 0; i < n; i++ {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lf, err := ln.(*net.TCPListener).File()
		ln.Close()
		if err != nil {
			return nil, err
		}
		defer lf.Close()
		keys[i], lns[i] = priv, lf
		peers[i+1] = meshPeer{Addr: ln.Addr().String(), Key: pub}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]R, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		mesh := meshJob{ID: i + 1, N: n, T: t, Key: keys[i], Peers: peers, Session: session}
		in, err := json.Marshal(processJob[J]{Mesh: mesh, Job: jobs[i]})
		if err != nil {
			return nil, err
		}
		cmd := exec.CommandContext(ctx, exe, args...)
		cmd.Args[0] = "safetrace"
		cmd.Stdin = strings.NewReader(string(in))
		cmd.ExtraFiles = []*os.File{lns[i]}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			derr := json.NewDecoder(out).Decode(&results[i])
			io.Copy(io.Discard, out)
			werr := cmd.Wait()
			switch {
			case werr != nil:
				msg := strings.TrimSpace(stderr.String())
				if msg == "" {
					msg = werr.Error()
				}
				errs[i] = fmt.Errorf("party %d: %s", i+1, msg)
				cancel()
			case derr != nil:
				errs[i] = fmt.Errorf("party %d: reading result: %w", i+1, derr)
				cancel()
			}
		}(i)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return results, nil
}

// selfExecutable returns the path to run this command again: os.Args[0] as
// found in PATH (which is what script tests install), else the running
// executable.
func selfExecutable() (string, error) {
	if p, err := exec.LookPath(os.Args[0]); err == nil {
		return p, nil
	}
	return os.Executable()
}

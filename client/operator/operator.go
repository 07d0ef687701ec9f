// Package operator is the deployment operator's side of computation runs:
// it asks every party, through a relay, to start a run of a computation of
// the manifest, and waits for each party's outcome (docs/fabric.md, run
// requests).
//
// Warning: the request is signed with a party's manifest signing key; whoever
// holds one can start runs (never read their inputs or results).
package operator

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/wire"
)

// failGrace is how long Run still waits for other parties once one has
// reported that the run failed.
const failGrace = 3 * time.Second

// Outcome is one party's final status of a run.
type Outcome struct {
	Party int
	State wire.RunState
	Text  string // the public summary (JSON) when done, the error when failed
	Err   error  // set when the party could not be asked
}

// Signer is one party operator's signing key.
type Signer struct {
	Party int                // the party id in the manifest
	Key   ed25519.PrivateKey // its manifest signing key
}

// Run starts a run of computation name at every party with a fresh run id,
// signed by signers (parties start a requested run only with signatures of
// at least t+1 distinct parties), then polls every party until the run is
// done or failed there, or ctx ends. poll is the interval between status
// requests. It returns one Outcome per party (index i is party i+1) and an
// error if any party failed or could not be reached.
func Run(ctx context.Context, c *client.Client, name string, signers []Signer, poll time.Duration) ([]Outcome, error) {
	return run(ctx, c, name, signers, poll, true)
}

// Start is Run without the wait: it returns once every party accepted the
// run (pending or running there) or refused it. poll is the interval
// between attempts at a party that is busy or not reachable.
func Start(ctx context.Context, c *client.Client, name string, signers []Signer, poll time.Duration) ([]Outcome, error) {
	return run(ctx, c, name, signers, poll, false)
}

func run(ctx context.Context, c *client.Client, name string, signers []Signer, poll time.Duration, wait bool) ([]Outcome, error) {
	if len(signers) == 0 {
		return nil, errors.New("operator: a run request needs signers")
	}
	m := c.Manifest()
	h := c.ManifestHash()
	var id [wire.IDSize]byte
	rand.Read(id[:])
	issued := time.Now().Unix()
	outs := make([]Outcome, m.N)
	// Once one party reports failure, the run has failed everywhere (it
	// needs every party): wait for the others only a little longer.
	waitCtx, cancelWait := context.WithCancel(ctx)
	defer cancelWait()
	var failOnce sync.Once
	failed := func() {
		failOnce.Do(func() { time.AfterFunc(failGrace, cancelWait) })
	}
	var wg sync.WaitGroup
	for i := range outs {
		party := i + 1
		outs[i].Party = party
		wg.Go(func() {
			o := &outs[party-1]
			start := func(rk [wire.KeySize]byte) wire.Message {
				q := &wire.RunRequest{ReplyKey: rk, Name: name, RunID: id, Issued: issued}
				for _, sg := range signers {
					q.Sign(sg.Party, sg.Key, h)
				}
				return q
			}
			status := func(rk [wire.KeySize]byte) wire.Message {
				return &wire.StatusRequest{ReplyKey: rk, Name: name, RunID: id}
			}
			build := start
			var last error
			for {
				msg, err := c.Request(waitCtx, party, build)
				if err == nil {
					st, ok := msg.(*wire.RunStatus)
					if !ok {
						o.Err = fmt.Errorf("party %d answered with a %v", party, msg.Type())
						return
					}
					build = status
					o.State, o.Text = st.State, st.Text
					switch st.State {
					case wire.RunDone:
						return
					case wire.RunFailed:
						failed()
						return
					case wire.RunUnknown:
						// The party lost the run (a restart): ask again.
						build = start
					default:
						if !wait {
							return
						}
					}
				} else {
					last = err
					var we *wire.Error
					if errors.As(err, &we) && !we.Code.Retryable() {
						o.Err = fmt.Errorf("party %d: %w", party, err)
						return
					}
				}
				select {
				case <-waitCtx.Done():
					o.Err = fmt.Errorf("party %d: not reached (last error: %v)", party, last)
					if ctx.Err() != nil {
						o.Err = fmt.Errorf("party %d: %w (last error: %v)", party, ctx.Err(), last)
					}
					return
				case <-time.After(poll):
				}
			}
		})
	}
	wg.Wait()
	var errs []error
	for _, o := range outs {
		switch {
		case o.Err != nil:
			errs = append(errs, o.Err)
		case o.State == wire.RunFailed:
			errs = append(errs, fmt.Errorf("party %d: run failed: %s", o.Party, o.Text))
		}
	}
	return outs, errors.Join(errs...)
}

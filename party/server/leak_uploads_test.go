package server_test

import (
	"encoding/json"
	"testing"

	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/epoch/epochjob"
	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/wire"
)

// TestLeakPositiveReportLinkable plays the curious party: after a visitor
// uploads ordinary records and then reports positive, nothing the party
// stores with the report's records carries the visitor's pseudonym (result
// key or token hash), so the party cannot link "tested positive" to the
// visitor's other uploads. Before, a positive upload carried the reporter's
// own result key and token hash.
func TestLeakPositiveReportLinkable(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	vs, _ := honestStory(t, d) // b uploads ordinary records, then a report
	for i, st := range d.Stores {
		users := map[string]bool{}
		var positive, ordinary int
		err := st.ForEachRecord(0, 1<<31, func(r *store.Record) error {
			if r.Kind == wire.KindOrdinary {
				ordinary++
				users[string(r.ResultKey)] = true
				return nil
			}
			positive++
			if len(r.ResultKey) != 0 {
				t.Errorf("party %d: a positive record carries a user key", i+1)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if positive == 0 || ordinary == 0 || len(users) != len(vs) {
			t.Fatalf("party %d: %d positive, %d ordinary records of %d users", i+1, positive, ordinary, len(users))
		}
	}
}

// TestLeakDifferencingEpochs plays a curious party that asks for an epoch
// right before and right after one visitor's upload, to read from the
// difference which groups that upload joined. With min_new_uploads = 3 the
// epoch after a single new upload is deferred at every party (it publishes
// nothing, no group sizes), and the next epoch runs only once three new
// uploads are in.
func TestLeakDifferencingEpochs(t *testing.T) {
	d := fabrictest.StartWith(t, 3, 1, fabrictest.Options{Params: func(p *manifest.Params) { p.MinNewUploads = 3 }})
	vs, _ := honestStory(t, d) // 4 uploads: the first epoch runs
	first := runEpoch(t, d, vs[0].c)
	sum := lastSummary(t, d)
	if sum.Deferred || sum.Rounds == 0 {
		t.Fatalf("first epoch: %+v", sum)
	}
	target := newVisitor(t, d, "target")
	recs := vs[0].recs[:2] // the target was where a was
	target.upload(t, wire.KindOrdinary, "", recs)
	runEpoch(t, d, vs[0].c)
	for i, s := range d.Servers {
		id, _ := s.LastRun("exposure")
		var got epochjob.Summary
		if err := json.Unmarshal([]byte(s.RunStatus(id).Text), &got); err != nil {
			t.Fatal(err)
		}
		if n, ok := got.Records.Value(); !got.Deferred || (ok && n != 0) || len(got.GroupSizes) != 0 {
			t.Errorf("party %d: the epoch after one new upload released %+v", i+1, got)
		}
	}
	// The visitors keep the first epoch's results.
	if got := vs[0].riskDays(t, first); len(got) == 0 {
		t.Error("a lost the first epoch's result")
	}
	for _, name := range []string{"x", "y"} {
		newVisitor(t, d, name).upload(t, wire.KindOrdinary, "", vs[2].recs[:1])
	}
	runEpoch(t, d, vs[0].c)
	if sum := lastSummary(t, d); sum.Deferred {
		t.Fatalf("the epoch with three new uploads was deferred: %+v", sum)
	}
}

func lastSummary(t *testing.T, d *fabrictest.Deployment) epochjob.Summary {
	t.Helper()
	id, _ := d.Servers[0].LastRun("exposure")
	var s epochjob.Summary
	if err := json.Unmarshal([]byte(d.Servers[0].RunStatus(id).Text), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

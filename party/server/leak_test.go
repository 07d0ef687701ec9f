package server_test

import (
	"testing"

	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
	"github.com/safetrace/safetrace/party/store"
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
			if r.Kind == store.KindOrdinary {
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

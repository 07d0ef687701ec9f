package client_test

import (
	"testing"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/trace"
)

func TestResultAtRisk(t *testing.T) {
	r := &client.Result{Days: []uint32{20000, 20001, 20002}, Values: []uint64{0, 1, 1}}
	days, err := r.AtRisk()
	if err != nil || len(days) != 2 || days[0] != 20001 || days[1] != 20002 {
		t.Fatalf("AtRisk = %v, %v", days, err)
	}
	r.Values[0] = 2
	if _, err := r.AtRisk(); err == nil {
		t.Fatal("a value of 2 was taken for a bit")
	}
}

func TestFromTrace(t *testing.T) {
	var k [64]byte
	k[0] = 1
	recs, err := client.FromTrace([]trace.Record{{Key: k, Day: 20000, Minutes: 10, Weight: 3}})
	if err != nil || len(recs) != 1 || recs[0].Day != 20000 || recs[0].Minutes != 10 || recs[0].Weight != 3 {
		t.Fatalf("FromTrace = %+v, %v", recs, err)
	}
	if _, err := client.FromTrace([]trace.Record{{Key: k, Day: -1}}); err == nil {
		t.Fatal("a day before 1970 was accepted")
	}
}

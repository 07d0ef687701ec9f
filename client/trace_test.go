package client_test

import (
	"testing"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
	"github.com/safetrace/safetrace/trace"
	"github.com/safetrace/safetrace/wire"
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

func TestPrepareRefusesDayBefore1970(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	c := newClient(t, d)
	var k [64]byte
	if _, err := c.Prepare(wire.KindOrdinary, "", []trace.Record{{Key: k, Day: -1, Minutes: 10}}); err == nil {
		t.Fatal("a day before 1970 was accepted")
	}
}

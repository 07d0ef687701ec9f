//go:build !js

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
	// person + 2*venue: 2 is a venue warning alone, 3 both.
	r.Values = []uint64{2, 3, 1}
	person, venue, err := r.Classes()
	if err != nil || len(person) != 2 || person[0] != 20001 || len(venue) != 2 || venue[0] != 20000 || venue[1] != 20001 {
		t.Fatalf("Classes = %v, %v, %v", person, venue, err)
	}
	if days, err := r.AtRisk(); err != nil || len(days) != 2 {
		t.Fatalf("AtRisk with venue warnings = %v, %v", days, err)
	}
	r.Values[0] = 4
	if _, err := r.AtRisk(); err == nil {
		t.Fatal("a value of 4 was taken for two bits")
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

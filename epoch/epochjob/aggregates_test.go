package epochjob

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
)

func TestMergeBins(t *testing.T) {
	for _, tc := range []struct {
		hist map[int]int
		k    int
		want string
	}{
		{map[int]int{1: 5, 2: 5, 3: 1}, 5, `[{"lo":1,"hi":1,"count":5},{"lo":2,"hi":3,"count":6}]`},
		{map[int]int{1: 2, 2: 2, 4: 2, 9: 9}, 3, `[{"lo":1,"hi":2,"count":4},{"lo":4,"hi":9,"count":11}]`},
		{map[int]int{1: 2, 7: 2}, 5, `[]`},
		{map[int]int{}, 5, `[]`},
	} {
		b, _ := json.Marshal(mergeBins(tc.hist, tc.k))
		if string(b) != tc.want {
			t.Errorf("mergeBins(%v, %d) = %s, want %s", tc.hist, tc.k, b, tc.want)
		}
	}
}

func TestAggregatesSeries(t *testing.T) {
	day := record.Day(20000)
	at := day.Time().Add(10 * time.Hour)
	var recs []held
	add := func(user string, d record.Day, n int, kind wire.Kind, upload string) {
		for range n {
			recs = append(recs, held{rec: store.Record{Record: wire.Record{Day: d}, ResultKey: []byte(user), Kind: kind, UploadID: []byte(upload), Created: at}})
		}
	}
	for i := range 6 {
		add(string(rune('a'+i)), day, 1+i%2, wire.KindOrdinary, "u")
	}
	add("a", day-1, 3, wire.KindOrdinary, "u")
	for i := range 3 {
		add("", day-2, 4, wire.KindPositive, string(rune('p'+i)))
	}
	a := aggregates(recs, uint32(day)-2, uint32(day), 3, map[record.Day]int{day: 4})
	b, _ := json.Marshal(a.Days)
	want := `[{"day":"2024-10-02","positives":"\u003c k","users":"\u003c k","at_risk":"\u003c k"},` +
		`{"day":"2024-10-03","positives":"\u003c k","users":"\u003c k","at_risk":"\u003c k"},` +
		`{"day":"2024-10-04","positives":3,"users":6,"at_risk":4}]`
	if string(b) != want {
		t.Errorf("days %s\nwant %s", b, want)
	}
	// User-days: 3 with 1 record, 3 with 2, 1 with 3.
	b, _ = json.Marshal(a.Degree)
	if string(b) != `[{"lo":1,"hi":1,"count":3},{"lo":2,"hi":3,"count":4}]` {
		t.Errorf("degree %s", b)
	}
}

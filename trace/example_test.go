package trace_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/safetrace/safetrace/trace"
)

func ExampleVenueRecords() {
	var secret [trace.SecretSize]byte
	copy(secret[:], "secret from the venue's QR code!")
	arrive := time.Date(2026, 11, 20, 23, 47, 0, 0, time.UTC)
	depart := time.Date(2026, 11, 21, 0, 12, 30, 0, time.UTC)
	recs, err := trace.VenueRecords(secret, arrive, depart, trace.DefaultParams())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range recs {
		fmt.Println(r.Day, r.Minutes, "min")
	}
	_, err = trace.VenueRecords(secret, depart, arrive, trace.DefaultParams())
	fmt.Println(err)
	// Output:
	// 2026-11-20 3 min
	// 2026-11-20 10 min
	// 2026-11-21 10 min
	// 2026-11-21 3 min
	// trace: departure 2026-11-20T23:47:00Z before arrival 2026-11-21T00:12:30Z
}

func ExampleCell() {
	cell := trace.Cell(57.64911, 10.40744, 7)
	fmt.Println(cell)
	n, _ := trace.Neighbors(cell)
	fmt.Println(n)
	// Output:
	// u4pruyd
	// [u4pruyf u4pruyg u4pruye u4pruy7 u4pruy6 u4pruy3 u4pruy9 u4pruyc]
}

func ExampleParseEncounterCode() {
	var seed [trace.SeedSize]byte // from the app's storage
	day, _ := trace.ParseDay("2026-11-20")
	code := trace.EncounterCode(seed, day)
	fmt.Println(code)
	id, d, err := trace.ParseEncounterCode(code)
	fmt.Println(id == trace.EphemeralID(seed, day), d, err)
	_, _, err = trace.ParseEncounterCode(code + "A")
	fmt.Println(err)
	// Output:
	// st-enc1.RMaS4Q9xFpFDb8hYSM7cjAAAUSk
	// true 2026-11-20 <nil>
	// trace: encounter code payload has 28 characters, want 27
}

func ExampleImportBLELog() {
	log := `{"version":1,"encounters":[
	  {"ephemeral_id":"00112233445566778899aabbccddeeff","day":"2026-11-20","minutes":12,"attenuation_db":55},
	  {"ephemeral_id":"ffeeddccbbaa99887766554433221100","day":"2026-11-20","minutes":40,"attenuation_db":80}]}`
	recs, err := trace.ImportBLELog(strings.NewReader(log), trace.DefaultParams())
	fmt.Println(len(recs), recs[0].Kind, recs[0].Day, recs[0].Minutes, err)
	_, err = trace.ImportBLELog(strings.NewReader(`{"version":1,"encounters":[],"note":""}`), trace.DefaultParams())
	fmt.Println(err)
	// Output:
	// 1 encounter 2026-11-20 12 <nil>
	// trace: Bluetooth log: unknown field "note"
}

func ExampleOracle() {
	p := trace.DefaultParams()
	var secret [trace.SecretSize]byte
	copy(secret[:], "secret from the venue's QR code!")
	at := func(h, m int) time.Time { return time.Date(2026, 11, 20, h, m, 0, 0, time.UTC) }
	onset, _ := trace.ParseDay("2026-11-21")

	// The positive person was there 18:00-18:30; with the aerosol tail their
	// report covers 18:00-19:00, at weight 1.6 (the day before onset).
	pos, _ := trace.PositiveReport(trace.Report{
		Visits: []trace.Visit{{Secret: secret, Arrive: at(18, 0), Depart: at(18, 30)}},
		Onset:  onset,
	}, p, at(22, 0))
	alice, _ := trace.VenueRecords(secret, at(18, 45), at(19, 30), p) // 15 min in the tail
	bob, _ := trace.VenueRecords(secret, at(18, 55), at(20, 0), p)    // 5 min in the tail

	res := trace.Oracle([]trace.Upload{
		{User: "carol", Positive: true, Records: pos},
		{User: "alice", Records: alice},
		{User: "bob", Records: bob},
	}, p)
	for _, u := range []string{"alice", "bob", "carol"} {
		fmt.Printf("%s: score %d (%.1f weighted minutes), high %v, days %v\n",
			u, res[u].Score, float64(res[u].Score)/1000, res[u].High, res[u].Days)
	}
	// Output:
	// alice: score 24000 (24.0 weighted minutes), high true, days [2026-11-20]
	// bob: score 8000 (8.0 weighted minutes), high false, days []
	// carol: score 0 (0.0 weighted minutes), high false, days []
}

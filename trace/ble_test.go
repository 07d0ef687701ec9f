package trace

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

const bleSample = `{"version":1,"encounters":[
 {"ephemeral_id":"bb352a24555b2a3d4185467b1787643b","day":"2026-11-20","minutes":12,"attenuation_db":55},
 {"ephemeral_id":"00112233445566778899aabbccddeeff","day":"2026-11-21","minutes":30,"attenuation_db":70},
 {"ephemeral_id":"bb352a24555b2a3d4185467b1787643b","day":"2026-11-20","minutes":5,"attenuation_db":63}
]}`

func TestImportBLELog(t *testing.T) {
	p := DefaultParams()
	recs, err := ImportBLELog(strings.NewReader(bleSample), p)
	if err != nil {
		t.Fatal(err)
	}
	d := mustDay("2026-11-20")
	want, _ := EncounterRecord(EphemeralID(seed7(), d), d, p)
	want.Minutes = 17 // 12 + 5 merged; the 70 dB entry is too far away
	if len(recs) != 1 || recs[0] != want {
		t.Fatalf("ImportBLELog = %+v, want %+v", recs, want)
	}
	p.AttenuationDB = 70
	recs, _ = ImportBLELog(strings.NewReader(bleSample), p)
	if len(recs) != 2 || recs[1].Minutes != 30 || recs[1].Day != d+1 {
		t.Fatalf("with 70 dB: %+v", recs)
	}
	empty, err := ImportBLELog(strings.NewReader(`{"version":1,"encounters":[]}`), p)
	if err != nil || len(empty) != 0 {
		t.Fatalf("empty log: %v, %v", empty, err)
	}
	long := `{"version":1,"encounters":[` +
		strings.Repeat(`{"ephemeral_id":"00112233445566778899aabbccddeeff","day":"2026-11-21","minutes":1000,"attenuation_db":1},`, 2) +
		`{"ephemeral_id":"00112233445566778899aabbccddeeff","day":"2026-11-21","minutes":1000,"attenuation_db":1}]}`
	if recs, _ := ImportBLELog(strings.NewReader(long), p); len(recs) != 1 || recs[0].Minutes != 1440 {
		t.Fatalf("merged minutes not capped: %+v", recs)
	}
}

func TestImportBLELogErrors(t *testing.T) {
	enc := func(fields string) string { return `{"version":1,"encounters":[{` + fields + `}]}` }
	const id, day, mins, att = `"ephemeral_id":"00112233445566778899aabbccddeeff"`, `"day":"2026-11-20"`, `"minutes":12`, `"attenuation_db":55`
	ok := func(f ...string) string {
		base := []string{id, day, mins, att}
		for _, x := range f {
			for i, b := range base {
				if strings.SplitN(b, ":", 2)[0] == strings.SplitN(x, ":", 2)[0] {
					base[i] = x
				}
			}
		}
		return enc(strings.Join(base, ","))
	}
	if _, err := ImportBLELog(strings.NewReader(ok()), DefaultParams()); err != nil {
		t.Fatalf("valid log rejected: %v", err)
	}
	for _, bad := range []string{
		// Not a log.
		``, `null`, `[]`, `{}`, `{"version":1}`, `{"encounters":[]}`,
		`{"version":1,"encounters":null}`, `{"version":1,"encounters":{}}`,
		// Version.
		`{"version":2,"encounters":[]}`, `{"version":"1","encounters":[]}`, `{"version":1.0,"encounters":[]}`, `{"version":null,"encounters":[]}`,
		// Unknown, misspelt or missing fields.
		`{"version":1,"encounters":[],"extra":0}`, `{"Version":1,"encounters":[]}`,
		enc(id + "," + day + "," + mins),
		enc(id + "," + day + "," + mins + "," + att + `,"rssi":-60`),
		enc(`"Ephemeral_ID":"00112233445566778899aabbccddeeff",` + day + "," + mins + "," + att),
		`{"version":1,"encounters":[null]}`, `{"version":1,"encounters":[1]}`,
		// Ephemeral IDs.
		ok(`"ephemeral_id":"00112233445566778899AABBCCDDEEFF"`),
		ok(`"ephemeral_id":"00112233445566778899aabbccddeef"`),
		ok(`"ephemeral_id":"00112233445566778899aabbccddeeff00"`),
		ok(`"ephemeral_id":"0011223344556677889xaabbccddeeff"`),
		ok(`"ephemeral_id":null`), ok(`"ephemeral_id":16`),
		// Days.
		ok(`"day":"2026-11-31"`), ok(`"day":"2026-1-20"`), ok(`"day":"20261120"`), ok(`"day":"1969-12-31"`), ok(`"day":null`),
		// Minutes and attenuation.
		ok(`"minutes":0`), ok(`"minutes":1441`), ok(`"minutes":12.5`), ok(`"minutes":"12"`), ok(`"minutes":-1`), ok(`"minutes":null`),
		ok(`"attenuation_db":-1`), ok(`"attenuation_db":256`), ok(`"attenuation_db":55.5`), ok(`"attenuation_db":null`),
		// Trailing data.
		`{"version":1,"encounters":[]} {}`, `{"version":1,"encounters":[]}x`,
	} {
		if _, err := ImportBLELog(strings.NewReader(bad), DefaultParams()); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	huge := bytes.Repeat([]byte(" "), MaxBLELogSize+1)
	if _, err := ImportBLELog(bytes.NewReader(huge), DefaultParams()); err == nil || !strings.Contains(err.Error(), "larger") {
		t.Fatalf("oversized log: %v", err)
	}
}

// marshalBLELog writes encounters in the canonical form of the format.
func marshalBLELog(encs []bleEncounter) []byte {
	type entry struct {
		ID          string `json:"ephemeral_id"`
		Day         string `json:"day"`
		Minutes     int    `json:"minutes"`
		Attenuation int    `json:"attenuation_db"`
	}
	log := struct {
		Version    int     `json:"version"`
		Encounters []entry `json:"encounters"`
	}{Version: 1, Encounters: []entry{}}
	for _, e := range encs {
		log.Encounters = append(log.Encounters, entry{hex.EncodeToString(e.ID[:]), e.Day.String(), e.Minutes, e.Attenuation})
	}
	b, err := json.Marshal(log)
	if err != nil {
		panic(err)
	}
	return b
}

func FuzzImportBLELog(f *testing.F) {
	f.Add([]byte(bleSample))
	f.Add([]byte(`{"version":1,"encounters":[]}`))
	f.Add([]byte(`{"version":1,"encounters":[{"ephemeral_id":"00112233445566778899aabbccddeeff","day":"9999-12-31","minutes":1440,"attenuation_db":0}]}`))
	p := DefaultParams()
	f.Fuzz(func(t *testing.T, data []byte) {
		encs, err := parseBLELog(bytes.NewReader(data))
		if err != nil {
			return
		}
		canon := marshalBLELog(encs)
		again, err := parseBLELog(bytes.NewReader(canon))
		if err != nil || !slices.Equal(encs, again) {
			t.Fatalf("canonical form %s does not parse back: %v", canon, err)
		}
		if !bytes.Equal(marshalBLELog(again), canon) {
			t.Fatal("canonical form not stable")
		}
		recs, err := ImportBLELog(bytes.NewReader(data), p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Kind != KindEncounter || r.Minutes < 1 || r.Minutes > 1440 || r.Weight != 0 || r.Day < MinDay || r.Day > MaxDay {
				t.Fatalf("bad record %+v", r)
			}
		}
		if len(recs) > len(encs) {
			t.Fatal(fmt.Sprint(len(recs), " records from ", len(encs), " encounters"))
		}
	})
}

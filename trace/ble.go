package trace

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Limits on an imported Bluetooth encounter log.
const (
	MaxBLELogSize    = 8 << 20 // bytes
	MaxBLEEncounters = 100_000
)

// A bleEncounter is one entry of a Bluetooth encounter log.
type bleEncounter struct {
	ID          [IDSize]byte
	Day         Day
	Minutes     int
	Attenuation int
}

// ImportBLELog reads a native app's Bluetooth encounter log (format in
// docs/trace.md) and returns its ordinary encounter records:
//
//	{"version":1,"encounters":[
//	  {"ephemeral_id":"<32 lower-case hex digits>","day":"2026-11-20",
//	   "minutes":12,"attenuation_db":55}]}
//
// Decoding is strict: exactly these field names (case-sensitive), all
// fields present and not null, integer minutes in 1..1440 and attenuation in
// 0..255, a canonical YYYY-MM-DD day, no trailing data, at most
// [MaxBLELogSize] bytes and [MaxBLEEncounters] entries. Encounters with an
// attenuation above AttenuationDB are left out. Entries with the same ID and
// day become one record whose minutes are their sum, capped at 1440. Records
// come in order of first appearance.
func ImportBLELog(r io.Reader, p Params) ([]Record, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	encs, err := parseBLELog(r)
	if err != nil {
		return nil, err
	}
	return bleRecords(encs, &p), nil
}

func bleRecords(encs []bleEncounter, p *Params) []Record {
	type idDay struct {
		id  [IDSize]byte
		day Day
	}
	index := make(map[idDay]int)
	var recs []Record
	for _, e := range encs {
		if e.Attenuation > p.AttenuationDB {
			continue
		}
		k := idDay{e.ID, e.Day}
		if i, ok := index[k]; ok {
			recs[i].Minutes = min(recs[i].Minutes+uint32(e.Minutes), 1440)
			continue
		}
		index[k] = len(recs)
		recs = append(recs, encounterRecord(e.ID, e.Day, uint32(e.Minutes)))
	}
	return recs
}

func parseBLELog(r io.Reader) ([]bleEncounter, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBLELogSize+1))
	if err != nil {
		return nil, fmt.Errorf("trace: reading Bluetooth log: %w", err)
	}
	if len(data) > MaxBLELogSize {
		return nil, fmt.Errorf("trace: Bluetooth log larger than %d bytes", MaxBLELogSize)
	}
	var top map[string]json.RawMessage
	if err := decodeStrict(data, &top); err != nil {
		return nil, fmt.Errorf("trace: Bluetooth log: %w", err)
	}
	if err := exactFields(top, "version", "encounters"); err != nil {
		return nil, fmt.Errorf("trace: Bluetooth log: %w", err)
	}
	var version int
	if err := decodeStrict(top["version"], &version); err != nil || version != 1 {
		return nil, fmt.Errorf("trace: Bluetooth log version %s, want 1", top["version"])
	}
	var raw []json.RawMessage
	if err := decodeStrict(top["encounters"], &raw); err != nil {
		return nil, fmt.Errorf("trace: Bluetooth log encounters: %w", err)
	}
	if len(raw) > MaxBLEEncounters {
		return nil, fmt.Errorf("trace: Bluetooth log has %d encounters, more than %d", len(raw), MaxBLEEncounters)
	}
	encs := make([]bleEncounter, len(raw))
	for i, m := range raw {
		if err := parseBLEEncounter(m, &encs[i]); err != nil {
			return nil, fmt.Errorf("trace: Bluetooth log encounter %d: %w", i, err)
		}
	}
	return encs, nil
}

func parseBLEEncounter(m json.RawMessage, e *bleEncounter) error {
	var f map[string]json.RawMessage
	if err := decodeStrict(m, &f); err != nil {
		return err
	}
	if err := exactFields(f, "ephemeral_id", "day", "minutes", "attenuation_db"); err != nil {
		return err
	}
	var id, day string
	if err := decodeStrict(f["ephemeral_id"], &id); err != nil {
		return fmt.Errorf("ephemeral_id: %w", err)
	}
	if len(id) != 2*IDSize || strings.ToLower(id) != id {
		return fmt.Errorf("ephemeral_id %q is not %d lower-case hex digits", id, 2*IDSize)
	}
	if _, err := hex.Decode(e.ID[:], []byte(id)); err != nil {
		return fmt.Errorf("ephemeral_id %q is not %d lower-case hex digits", id, 2*IDSize)
	}
	if err := decodeStrict(f["day"], &day); err != nil {
		return fmt.Errorf("day: %w", err)
	}
	d, err := ParseDay(day)
	if err != nil {
		return err
	}
	e.Day = d
	if err := decodeStrict(f["minutes"], &e.Minutes); err != nil || e.Minutes < 1 || e.Minutes > 1440 {
		return fmt.Errorf("minutes %s not an integer in 1..1440", f["minutes"])
	}
	if err := decodeStrict(f["attenuation_db"], &e.Attenuation); err != nil || e.Attenuation < 0 || e.Attenuation > 255 {
		return fmt.Errorf("attenuation_db %s not an integer in 0..255", f["attenuation_db"])
	}
	return nil
}

// decodeStrict decodes exactly one JSON value, not null, from data into v.
func decodeStrict(data []byte, v any) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return errors.New("null value")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data")
	}
	return nil
}

// exactFields checks that m has exactly the named keys.
func exactFields(m map[string]json.RawMessage, names ...string) error {
	for _, n := range names {
		if _, ok := m[n]; !ok {
			return fmt.Errorf("missing field %q", n)
		}
	}
	if len(m) != len(names) {
		keys := slices.Sorted(maps.Keys(m))
		for _, k := range keys {
			if !slices.Contains(names, k) {
				return fmt.Errorf("unknown field %q", k)
			}
		}
	}
	return nil
}

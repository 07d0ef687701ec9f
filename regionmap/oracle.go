package regionmap

// Count is one released region: its index in the manifest's region list and
// the number of accepted positive participant-days present there.
type Count struct {
	Region int
	Count  uint64
}

// Oracle computes in the clear what [Compute] releases for the same days:
// the accepted mask (every value a bit) and the regions whose count is at
// least k.
func Oracle(days []Day, regions, k int) (accepted []bool, released []Count) {
	counts := make([]uint64, regions)
	accepted = make([]bool, len(days))
	for i, d := range days {
		ok := len(d.Presence) == regions && d.Positive <= 1 && (d.Coded || d.Positive == 0)
		for _, v := range d.Presence {
			ok = ok && v <= 1
		}
		accepted[i] = ok
		if !ok || d.Positive == 0 {
			continue
		}
		for r, v := range d.Presence {
			counts[r] += v
		}
	}
	for r, c := range counts {
		if c >= uint64(k) {
			released = append(released, Count{Region: r, Count: c})
		}
	}
	return accepted, released
}

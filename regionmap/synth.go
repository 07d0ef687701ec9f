package regionmap

import "math/rand/v2"

// Synthetic returns participants participant-days over regions regions
// from seed, for simulations and tests: region r is visited with
// probability 1/(1+r), so a few regions are crowded and the rest sparse,
// and a participant is positive (with a code) with probability posFrac.
func Synthetic(seed uint64, participants, regions int, posFrac float64) []Day {
	rng := rand.New(rand.NewPCG(seed, 0x5afe7ace))
	days := make([]Day, participants)
	for i := range days {
		p := make([]uint64, regions)
		for r := range p {
			if rng.Float64() < 1/float64(1+r) {
				p[r] = 1
			}
		}
		days[i].Presence = p
		if rng.Float64() < posFrac {
			days[i].Coded = true
			days[i].Positive = 1
		}
	}
	return days
}

package regionmap_test

import (
	"fmt"

	"github.com/safetrace/safetrace/regionmap"
)

// The oracle is the plaintext specification of what a run releases: per
// region, the number of accepted positive participant-days present, only
// where it reaches k. The upload with a presence value of 2 is left out.
func ExampleOracle() {
	days := []regionmap.Day{
		{Presence: []uint64{1, 1, 0}, Positive: 1, Coded: true},
		{Presence: []uint64{1, 0, 0}, Positive: 1, Coded: true},
		{Presence: []uint64{1, 1, 1}},                           // not positive
		{Presence: []uint64{2, 1, 0}, Positive: 1, Coded: true}, // malformed
	}
	accepted, released := regionmap.Oracle(days, 3, 2)
	fmt.Println(accepted)
	fmt.Println(released)
	// Output:
	// [true true true false]
	// [{0 2}]
}

package wire_test

import (
	"fmt"

	"github.com/safetrace/safetrace/internal/testenv/localdeploy"
	"github.com/safetrace/safetrace/wire"
)

func ExampleSealToParty() {
	d, _ := localdeploy.New(3, 1, localdeploy.Options{})
	m := d.Manifest

	// Client: pad, then seal to party 2.
	padded, _ := wire.Pad([]byte("party 2's shares"), wire.DefaultBuckets)
	sealed, _ := wire.SealToParty(m, 2, padded)
	fmt.Println("envelope bytes:", len(sealed))

	// Party 2 opens it; party 1 cannot.
	opened, _ := wire.OpenAsParty(d.Parties[1], m, sealed)
	payload, _ := wire.Unpad(opened, wire.DefaultBuckets)
	fmt.Printf("party 2: %q\n", payload)
	_, err := wire.OpenAsParty(d.Parties[0], m, sealed)
	fmt.Println("party 1:", err)
	// Output:
	// envelope bytes: 1072
	// party 2: "party 2's shares"
	// party 1: wire: envelope does not open (sealed to another party or manifest, or tampered with)
}

func ExampleUnpad() {
	_, err := wire.Unpad(make([]byte, 1000), wire.DefaultBuckets)
	fmt.Println(err)
	// Output: wire: padded payload is 1000 bytes, not a bucket size
}

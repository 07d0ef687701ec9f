package keys_test

import (
	"fmt"

	"github.com/safetrace/safetrace/internal/localdeploy"
	"github.com/safetrace/safetrace/party/keys"
)

func Example() {
	d, _ := localdeploy.New(3, 1, localdeploy.Options{})
	m := d.Manifest

	// Client: pad, then seal to party 2.
	padded, _ := keys.Pad([]byte("party 2's shares"), keys.DefaultBuckets)
	sealed, _ := keys.Seal(m, 2, padded)
	fmt.Println("envelope bytes:", len(sealed))

	// Party 2 opens it; party 1 cannot.
	opened, _ := keys.Open(d.Parties[1], m, sealed)
	payload, _ := keys.Unpad(opened, keys.DefaultBuckets)
	fmt.Printf("party 2: %q\n", payload)
	_, err := keys.Open(d.Parties[0], m, sealed)
	fmt.Println("party 1:", err)
	// Output:
	// envelope bytes: 1072
	// party 2: "party 2's shares"
	// party 1: keys: envelope does not open (sealed to another party or manifest, or tampered with)
}

func ExampleUnpad() {
	_, err := keys.Unpad(make([]byte, 1000), keys.DefaultBuckets)
	fmt.Println(err)
	// Output: keys: padded payload is 1000 bytes, not a bucket size
}

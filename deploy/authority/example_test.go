package authority_test

import (
	"fmt"
	"time"

	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/deploy/manifest"
)

func Example() {
	key, _ := authority.GenerateKey("Health Dept")
	m := &manifest.Manifest{Authorities: []manifest.Authority{key.Public()}} // normally a verified manifest
	codes, _ := authority.Issue(key, 1, 14*24*time.Hour)

	_, expires, err := authority.Verify(m, codes[0])
	fmt.Println(err, time.Until(expires).Round(time.Hour))

	_, _, err = authority.Verify(m, "0000-0000")
	fmt.Println(err)
	// Output:
	// <nil> 336h0m0s
	// authority: code has 8 characters, want 136
}

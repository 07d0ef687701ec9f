package circuit

import (
	_ "embed"
	"strings"
	"sync"
)

//go:embed testdata/aes_128.txt
var aes128Text string

var aes128 = sync.OnceValues(func() (*Circuit, error) { return Parse(strings.NewReader(aes128Text)) })

// AES128 returns the Bristol Fashion AES-128 circuit of the testdata (inputs:
// key, then plaintext; output: ciphertext), parsed once and shared.
func AES128() (*Circuit, error) { return aes128() }

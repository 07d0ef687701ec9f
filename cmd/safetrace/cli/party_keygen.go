package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/safetrace/safetrace/deploy/keys"
)

// partyKeygen makes a party's key file and prints the public part, the JSON
// snippet the coordinator passes to "safetrace manifest create --party".
func partyKeygen(ctx context.Context, args []string) error {
	fs := newFlagSet("party keygen")
	id := fs.Int("id", 0, "party `id`, 1..n (required)")
	name := fs.String("name", "", "operating organisation's `name` (required)")
	mesh := fs.String("mesh", "", "`host:port` of this party's mesh listener (required)")
	out := fs.String("out", "", "private key `file` to create, mode 0600 (required)")
	pub := fs.String("public", "", "also write the public part to this `file`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *id == 0 || *name == "" || *mesh == "" || *out == "" {
		return errors.New("party keygen: --id, --name, --mesh and --out are required")
	}
	k, err := keys.Generate(*id, *name, *mesh)
	if err != nil {
		return err
	}
	if err := k.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "safetrace: wrote private key %s; send the public part below to the coordinator\n", *out)
	return writePublic(*pub, k.Public())
}

package main

import (
	"context"
	"errors"
	"fmt"
)

const partyUsage = `usage:
  safetrace party keygen --id I --name NAME --mesh HOST:PORT --out FILE [--public FILE]`

// runParty dispatches the forms of "safetrace party". Only keygen exists so
// far; the server is to come.
func runParty(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("party: missing subcommand\n" + partyUsage)
	}
	switch args[0] {
	case "keygen":
		return partyKeygen(ctx, args[1:])
	case "help", "-h", "-help", "--help":
		fmt.Println(partyUsage)
		return nil
	}
	return fmt.Errorf("party: %q is not implemented yet (only 'safetrace party keygen' is)\n%s", args[0], partyUsage)
}

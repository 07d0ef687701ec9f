// Command safetrace runs every SafeTrace role: party servers, relays, the
// health authority's tools, poster generation, MPC checks and epidemic models.
// "safetrace help" lists the subcommands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/safetrace/safetrace/cmd/safetrace/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "safetrace: error: %v\n", err)
		os.Exit(1)
	}
}

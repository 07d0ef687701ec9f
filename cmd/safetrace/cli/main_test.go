package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary act as the safetrace command for the party
// and relay processes that tests start.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"safetrace": func() {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := Run(ctx, os.Args[1:]); err != nil {
				fmt.Fprintf(os.Stderr, "safetrace: error: %v\n", err)
				os.Exit(1)
			}
		},
	})
}

// Package cli implements the safetrace command line: one small file per
// subcommand, the flag and file helpers they share, and the party processes
// that the MPC and epoch simulations start. Package main calls [Run].
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// A command is one subcommand of safetrace. Each lives in its own file and is
// listed in commands below.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string) error
}

// commands lists every subcommand, in the order "safetrace help" shows them.
// Each subcommand lives in its own file; add one line here per subcommand.
var commands = []command{
	{"mpc", "evaluate circuits and benchmark the MPC core across party processes", runMPC},
	{"poster", "make printable venue QR posters (PDF, PNG, SVG)", runPoster},
	{"qr", "decode QR codes from image files", runQR},
	{"manifest", "create, sign and verify deployment manifests", runManifest},
	{"authority", "issue one-time positive-test codes", runAuthority},
	{"party", "run an MPC party server (keygen: make its keys)", runParty},
	{"epoch", "run or simulate the exposure epoch across party processes", runEpoch},
	{"compute", "run, fetch or simulate a named computation (region-map)", runCompute},
	{"seir", "epidemic models: mean-field, pairwise, pair-based SEIR and network simulation", runSEIR},
	{"dev", "run a local deployment: 3 parties, a relay and the web app", runDev},
	{"relay", "run a stateless WebSocket relay between clients and parties", runRelay},
}

// errUsage is returned for a command line that names no known subcommand.
var errUsage = errors.New("unknown or missing subcommand (see 'safetrace help')")

// Run runs the safetrace command line args (without the program name) until
// ctx is done. Usage asked for with -h or help is printed to standard output
// and is not an error.
func Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		usage(os.Stderr)
		return errUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return nil
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(ctx, args[1:])
			if errors.Is(err, flag.ErrHelp) {
				return nil // the usage is printed
			}
			return err
		}
	}
	return fmt.Errorf("%q: %w", args[0], errUsage)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: safetrace <command> [arguments]")
	fmt.Fprintln(w, "\ncommands:")
	width := len("help")
	for _, c := range commands {
		width = max(width, len(c.name))
	}
	fmt.Fprintf(w, "  %-*s  %s\n", width, "help", "list the subcommands")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'safetrace <command> -h' for a command's flags.")
}

// verbs maps the subcommands of one command to their functions.
type verbs map[string]func(ctx context.Context, args []string) error

// dispatch runs the verb named by args[0] of the command name; help or -h
// print usage to stdout.
func dispatch(ctx context.Context, name, usage string, args []string, vs verbs) error {
	if len(args) == 0 {
		return fmt.Errorf("%s: missing subcommand\nsafetrace: hint: 'safetrace %s -h' lists them", name, name)
	}
	if isHelp(args[0]) {
		fmt.Fprintln(stdout, strings.TrimRight(usage, "\n"))
		return nil
	}
	if run, ok := vs[args[0]]; ok {
		return run(ctx, args[1:])
	}
	return fmt.Errorf("%s: unknown subcommand %q\nsafetrace: hint: 'safetrace %s -h' lists them", name, args[0], name)
}

// noContext adapts a subcommand that needs no context.
func noContext(f func(args []string) error) func(context.Context, []string) error {
	return func(_ context.Context, args []string) error { return f(args) }
}

package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// newFlagSet returns the flag set of the subcommand name ("manifest sign").
// Its -h prints "usage: safetrace NAME [flags]" and the flags; set
// fs.Usage to print a longer synopsis to fs.Output().
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: safetrace %s [flags]\n", name)
		printFlags(fs)
	}
	return fs
}

// usageFunc returns an fs.Usage that prints synopsis, then the flags.
func usageFunc(fs *flag.FlagSet, synopsis string) func() {
	return func() {
		fmt.Fprintln(fs.Output(), strings.TrimRight(synopsis, "\n"))
		printFlags(fs)
	}
}

func printFlags(fs *flag.FlagSet) {
	fmt.Fprintln(fs.Output(), "\nflags:")
	fs.PrintDefaults()
}

// parseFlags parses args and rejects positional arguments. For -h it prints
// the usage to standard output and returns [flag.ErrHelp], which [Run]
// treats as success; other flag errors come with a hint.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fs.Usage()
		return err
	}
	if err != nil {
		return fmt.Errorf("%s: %w\nsafetrace: hint: 'safetrace %s -h' lists its flags", fs.Name(), err, fs.Name())
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected arguments %q", fs.Name(), fs.Args())
	}
	return nil
}

// isHelp reports whether arg asks for usage.
func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

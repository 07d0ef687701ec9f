package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/deploy/keys"
)

const authorityUsage = `usage:
  safetrace authority keygen --name NAME --out FILE [--public FILE]
  safetrace authority issue --key FILE [--count 1] [--valid 14d] [--venue-warning] [--out FILE]
  safetrace authority serve --key FILE --staff FILE [--listen 127.0.0.1:8443] [--data DIR]
        [--tls-cert FILE --tls-key FILE] [--valid 14d]
  safetrace authority staff add --staff FILE [--password-stdin] NAME
  safetrace authority warn-venue --manifest FILE (--poster FILE | --url URL) --from T --to T --code CODE [--level L]`

func runAuthority(ctx context.Context, args []string) error {
	return dispatch(ctx, "authority", authorityUsage, args, verbs{
		"keygen":     noContext(authorityKeygen),
		"issue":      noContext(authorityIssue),
		"serve":      authorityServe,
		"staff":      authorityStaff,
		"warn-venue": authorityWarnVenue,
	})
}

func authorityKeygen(args []string) error {
	fs := newFlagSet("authority keygen")
	name := fs.String("name", "", "the authority's `name` (required)")
	out := fs.String("out", "", "private key `file` to create, mode 0600 (required)")
	pub := fs.String("public", "", "also write the public part to this `file`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name == "" || *out == "" {
		return errors.New("authority keygen: --name and --out are required")
	}
	k, err := authority.GenerateKey(*name)
	if err != nil {
		return err
	}
	if err := k.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "safetrace: wrote private key %s; the public part below goes into the manifest\n", *out)
	return writePublic(*pub, k.Public())
}

func authorityIssue(args []string) error {
	fs := newFlagSet("authority issue")
	kpath := fs.String("key", "", "authority key `file` (required)")
	count := fs.Int("count", 1, "`number` of codes")
	valid := fs.String("valid", "14d", "validity, as a Go `duration` or a number of days like 14d")
	out := fs.String("out", "", "write the codes to this `file` (mode 0600) instead of standard output")
	venue := fs.Bool("venue-warning", false, "issue venue-warning codes instead of positive-test codes")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *kpath == "" {
		return errors.New("authority issue: --key FILE is required")
	}
	d, err := parseValidity(*valid)
	if err != nil {
		return err
	}
	k, err := authority.LoadKey(*kpath)
	if err != nil {
		return err
	}
	purpose := authority.PositiveTest
	if *venue {
		purpose = authority.VenueWarning
	}
	codes, err := authority.IssueFor(k, purpose, *count, d)
	if err != nil {
		return err
	}
	text := strings.Join(codes, "\n") + "\n"
	if *out != "" {
		return keys.WriteSecretFile(*out, []byte(text))
	}
	_, err = io.WriteString(stdout, text)
	return err
}

// parseValidity reads "14d" as 14 days and anything else as a Go duration.
func parseValidity(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("validity %q: want a positive number of days like 14d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("validity %q: %v", s, err)
	}
	return d, nil
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/qr/core"
	"github.com/safetrace/safetrace/qr/qrfile"
	"github.com/safetrace/safetrace/trace"
	"github.com/safetrace/safetrace/wire"
)

const warnVenueUsage = `usage: safetrace authority warn-venue --manifest FILE (--poster FILE | --url URL)
        --from T --to T (--code CODE | --code-file FILE) [--level L] [--timeout 1m]

Warns everyone who checked in at a venue during [from, to): the venue's
buckets of the window are sent, as a positive report authorised by a
venue-warning code ('safetrace authority issue --venue-warning'), to the
parties through the deployment's relays. Visitors who were there see that a
health authority warned about a place they visited; nobody learns who.

--poster reads the venue from its poster: a PDF or PNG made by 'safetrace
poster', a photo (JPEG) of it, or a text file with the poster's URL.
T is RFC 3339 (2026-03-15T18:00:00Z), YYYY-MM-DDTHH:MM in UTC, "now", or
now-DURATION such as now-3h or now-2d. The window is at most 24 hours, inside the
retention window and not in the future. --level is the transmission-risk
level 1..8 of the warning (default 8, as on the day of symptom onset).
`

func authorityWarnVenue(ctx context.Context, args []string) error {
	fs := newFlagSet("authority warn-venue")
	mpath := fs.String("manifest", "", "deployment manifest `file` (required)")
	poster := fs.String("poster", "", "the venue's poster: a PDF, PNG or JPEG `file`, or a text file with its URL")
	url := fs.String("url", "", "the venue's poster `URL` (instead of --poster)")
	fromFlag := fs.String("from", "", "start of the window, `T` (required)")
	toFlag := fs.String("to", "", "end of the window, `T` (required)")
	code := fs.String("code", "", "the health authority's venue-warning `code` (or --code-file)")
	codeFile := fs.String("code-file", "", "read the code from the first line of this `file`")
	level := fs.Int("level", 0, "transmission-risk `level` 1..8 (default 8)")
	timeout := fs.Duration("timeout", time.Minute, "give up after this `long`")
	fs.Usage = func() { fmt.Fprint(stdout, warnVenueUsage) }
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *codeFile != "" {
		b, err := os.ReadFile(*codeFile)
		if err != nil {
			return fmt.Errorf("warn-venue: %w", err)
		}
		first, _, _ := strings.Cut(string(b), "\n")
		*code = first
	}
	switch {
	case *mpath == "":
		return errors.New("warn-venue: --manifest is required")
	case (*poster == "") == (*url == ""):
		return errors.New("warn-venue: give the venue's --poster FILE or its --url, one of them")
	case *fromFlag == "" || *toFlag == "":
		return errors.New("warn-venue: --from and --to are required")
	case *code == "":
		return errors.New("warn-venue: --code is required (a venue-warning code from the health authority)")
	}
	now := time.Now().UTC()
	from, err := parseWhen(*fromFlag, now)
	if err != nil {
		return fmt.Errorf("warn-venue: --from: %w", err)
	}
	to, err := parseWhen(*toFlag, now)
	if err != nil {
		return fmt.Errorf("warn-venue: --to: %w", err)
	}
	text := *url
	if *poster != "" {
		if text, err = posterURL(*poster); err != nil {
			return fmt.Errorf("warn-venue: %s: %w", *poster, err)
		}
	}
	v, err := core.ParseURL(text)
	if errors.Is(err, core.ErrNotVenue) {
		return fmt.Errorf("warn-venue: %s is not a venue's poster (no SafeTrace venue URL)", oneLine(text))
	}
	if err != nil {
		return fmt.Errorf("warn-venue: the poster's URL: %w", err)
	}
	e, err := openCompute(*mpath)
	if err != nil {
		return fmt.Errorf("warn-venue: %w", err)
	}
	defer e.c.Close()
	c := strings.TrimSpace(*code)
	if _, err := authority.Check(e.m, c, authority.VenueWarning, now); errors.Is(err, authority.ErrWrongPurpose) {
		return errors.New("warn-venue: this is a positive-test code; a venue warning needs a venue-warning code")
	} else if err != nil {
		return fmt.Errorf("warn-venue: the code: %w", err)
	}
	recs, err := e.c.VenueWarningRecords(v.Secret, from, to, *level, now)
	if err != nil {
		return fmt.Errorf("warn-venue: %w", err)
	}
	fmt.Fprintf(stdout, "venue %q%s, %s, %d records\n", v.Name, roomSuffix(v.Room), windowString(from, to), len(recs))
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	st, err := e.c.Upload(ctx, wire.KindVenueWarning, c, recs)
	if err != nil {
		return fmt.Errorf("warn-venue: not sent: %w", err)
	}
	fmt.Fprintf(stdout, "sent: receipted by all %d parties (upload %x)\n", len(st.Receipts), st.UploadID[:4])
	return nil
}

func roomSuffix(room string) string {
	if room == "" {
		return ""
	}
	return " (" + room + ")"
}

// windowString shows [from, to) in UTC, the end's date only when it differs.
func windowString(from, to time.Time) string {
	from, to = from.UTC(), to.UTC()
	end := to.Format("15:04")
	if trace.DayOf(from) != trace.DayOf(to) {
		end = to.Format("2006-01-02 15:04")
	}
	return from.Format("2006-01-02 15:04") + ".." + end + " UTC"
}

// parseWhen reads a time: RFC 3339, YYYY-MM-DDTHH:MM (UTC), "now" or
// now-DURATION / now+DURATION (a Go duration, or whole days like 2d).
func parseWhen(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "now"); ok {
		if rest == "" {
			return now, nil
		}
		d, err := time.ParseDuration(rest)
		if days, ok := strings.CutSuffix(rest, "d"); ok && len(days) > 1 {
			var n int
			if n, err = strconv.Atoi(days[1:]); err == nil {
				d = time.Duration(n) * 24 * time.Hour
				if days[0] == '-' {
					d = -d
				}
			}
		}
		if err != nil || rest[0] != '-' && rest[0] != '+' {
			return time.Time{}, fmt.Errorf("%q: want now-DURATION such as now-3h", s)
		}
		return now.Add(d), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want RFC 3339 (2026-03-15T18:00:00Z), YYYY-MM-DDTHH:MM in UTC, or now-3h", s)
}

// posterURL reads a poster's URL from a file (qrfile.ReadPosterURL).
func posterURL(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return qrfile.ReadPosterURL(f)
}

package cli

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/safetrace/safetrace/qr/core"
	"github.com/safetrace/safetrace/qr/qrfile"
)

const qrUsage = `usage: safetrace qr decode FILE...

Reads the QR code in each PNG or JPEG file and prints one line per file: the
decoded text, followed by a tab and the venue's fields as JSON when the text is
a SafeTrace venue URL. With several files each line starts with "FILE: ". Text with
line breaks or other control characters is printed as a double-quoted Go
string, so each file still takes one line.
The exit status is non-zero if any file has no readable code.
`

func runQR(ctx context.Context, args []string) error {
	return dispatch(ctx, "qr", qrUsage, args, verbs{"decode": qrDecode})
}

func qrDecode(ctx context.Context, files []string) error {
	if len(files) == 1 && isHelp(files[0]) {
		fmt.Fprint(stdout, qrUsage)
		return nil
	}
	if len(files) == 0 {
		return errors.New("qr decode: no files given")
	}
	failed := 0
	for _, file := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, err := decodeFile(file)
		if err != nil {
			failed++
			fmt.Fprintf(os.Stderr, "safetrace: error: %s: %v\n", file, err)
			continue
		}
		if len(files) > 1 {
			line = file + ": " + line
		}
		fmt.Fprintln(stdout, line)
	}
	if failed > 0 {
		return fmt.Errorf("qr decode: %d of %d files had no readable QR code", failed, len(files))
	}
	return nil
}

// venueJSON is how "qr decode" shows a venue. The secret is printed: it is on
// the poster already, and whoever holds the image holds the secret.
type venueJSON struct {
	Version     int           `json:"version"`
	Name        string        `json:"name"`
	Address     string        `json:"address,omitempty"`
	Room        string        `json:"room,omitempty"`
	Category    core.Category `json:"category"`
	Risk        int           `json:"risk"`
	StayMinutes int           `json:"stay_minutes"`
	ValidFrom   *time.Time    `json:"valid_from,omitempty"`
	ValidUntil  *time.Time    `json:"valid_until,omitempty"`
	Secret      string        `json:"secret"`
}

func decodeFile(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	text, err := qrfile.DecodeReader(f)
	if err != nil {
		return "", err
	}
	v, err := core.ParseURL(text)
	if errors.Is(err, core.ErrNotVenue) {
		return oneLine(text), nil
	}
	if err != nil {
		return "", fmt.Errorf("%q is a SafeTrace URL with a bad payload: %w", text, err)
	}
	j := venueJSON{
		Version: core.Version, Name: v.Name, Address: v.Address, Room: v.Room,
		Category: v.Category, Risk: int(v.Risk), StayMinutes: int(v.Stay.Minutes()),
		Secret: hex.EncodeToString(v.Secret[:]),
	}
	if !v.ValidFrom.IsZero() {
		j.ValidFrom, j.ValidUntil = &v.ValidFrom, &v.ValidUntil
	}
	b, err := json.Marshal(j)
	if err != nil {
		return "", err
	}
	return text + "\t" + string(b), nil
}

// oneLine returns s, or its quoted form if it would not print as one line.
func oneLine(s string) string {
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return strconv.Quote(s)
		}
	}
	return s
}

package qr

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/safetrace/safetrace/qr/core"
)

// batchColumns are the columns of a batch CSV, in the order of its header.
var batchColumns = []string{"name", "address", "room", "category", "stay"}

// MaxBatch bounds the number of venues in one batch.
const MaxBatch = 10000

// ReadBatch reads venues from CSV with the header "name,address,room,
// category,stay" (columns in that order, header names in any case). Each
// row becomes a [NewVenue] with a fresh secret: name is required, address
// and room are optional, an empty category means "other", and an empty stay
// means the category's default; stay is a Go duration such as "90m" or
// "2h". Errors name the CSV line.
func ReadBatch(r io.Reader) ([]*core.Venue, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(batchColumns)
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("qr: csv is empty")
	}
	if err != nil {
		return nil, fmt.Errorf("qr: csv: %w", err)
	}
	for i, h := range header {
		if strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) != batchColumns[i] {
			return nil, fmt.Errorf("qr: csv header is %q, want %q", strings.Join(header, ","), strings.Join(batchColumns, ","))
		}
	}
	var venues []*core.Venue
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("qr: csv: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(venues) == MaxBatch {
			return nil, fmt.Errorf("qr: csv has more than %d venues", MaxBatch)
		}
		v, err := batchVenue(rec)
		if err != nil {
			return nil, fmt.Errorf("qr: csv line %d: %w", line, err)
		}
		venues = append(venues, v)
	}
	if len(venues) == 0 {
		return nil, errors.New("qr: csv has no venues")
	}
	return venues, nil
}

func batchVenue(rec []string) (*core.Venue, error) {
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
	}
	c, err := core.ParseCategory(strings.ToLower(rec[3]))
	if err != nil {
		return nil, unprefix(err)
	}
	v, err := core.NewVenue(rec[0], c)
	if err != nil {
		return nil, unprefix(err)
	}
	v.Address, v.Room = rec[1], rec[2]
	if rec[4] != "" {
		if v.Stay, err = ParseStay(rec[4]); err != nil {
			return nil, unprefix(err)
		}
	}
	if err := v.Validate(); err != nil {
		return nil, unprefix(err)
	}
	return v, nil
}

// ParseStay parses a length of stay: a Go duration ("90m", "1h30m") or a
// plain number of minutes ("45"). It must be a whole number of minutes
// between one minute and MaxStay.
func ParseStay(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		m, errm := strconv.Atoi(s)
		if errm != nil {
			return 0, fmt.Errorf("qr: bad stay %q: want a duration such as 90m or 2h", s)
		}
		d = time.Duration(m) * time.Minute
	}
	if d < time.Minute || d > core.MaxStay || d%time.Minute != 0 {
		return 0, fmt.Errorf("qr: stay %q is not a whole number of minutes between 1m and %v", s, core.MaxStay)
	}
	return d, nil
}

// unprefix drops the package prefix from an error that is wrapped again with
// more context, so the message reads "qr: csv line 3: name is empty".
func unprefix(err error) error {
	if msg, ok := strings.CutPrefix(err.Error(), "qr: "); ok {
		return errors.New(msg)
	}
	return err
}

// FileNames returns a distinct file name for each venue's poster, made of
// its name and room in lower-case ASCII letters, digits and dashes, followed
// by ext (such as ".pdf"). Names that clash get "-2", "-3" and so on; a name
// with no usable characters becomes "venue".
func FileNames(venues []*core.Venue, ext string) []string {
	names := make([]string, len(venues))
	used := map[string]bool{}
	for i, v := range venues {
		stem := sanitize(v.Name + " " + v.Room)
		name := stem + ext
		for n := 2; used[name]; n++ {
			name = stem + "-" + strconv.Itoa(n) + ext
		}
		used[name] = true
		names[i] = name
	}
	return names
}

// sanitize maps s to at most 60 characters of [a-z0-9-], folding common
// Latin accents, with no leading, trailing or repeated dashes.
func sanitize(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if f, ok := fold[r]; ok {
			r = f
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			if b.Len() >= 60 {
				break
			}
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		return "venue"
	}
	return b.String()
}

var fold = map[rune]rune{
	'à': 'a', 'á': 'a', 'â': 'a', 'ã': 'a', 'ä': 'a', 'å': 'a', 'ç': 'c',
	'è': 'e', 'é': 'e', 'ê': 'e', 'ë': 'e', 'ì': 'i', 'í': 'i', 'î': 'i',
	'ï': 'i', 'ñ': 'n', 'ò': 'o', 'ó': 'o', 'ô': 'o', 'õ': 'o', 'ö': 'o',
	'ø': 'o', 'ù': 'u', 'ú': 'u', 'û': 'u', 'ü': 'u', 'ý': 'y', 'ÿ': 'y',
	'ß': 's', 'ł': 'l', 'ś': 's', 'ź': 'z', 'ż': 'z', 'č': 'c', 'š': 's', 'ž': 'z',
}

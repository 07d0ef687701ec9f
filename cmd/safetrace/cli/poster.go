package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/safetrace/safetrace/qr"
	"github.com/safetrace/safetrace/qr/core"
)

const posterUsage = `usage: safetrace poster --name NAME [--address A] [--room R] [--category C] [--stay 2h]
                        [--origin URL] [--paper a4|letter] --format pdf|png|svg --out FILE
       safetrace poster --csv FILE [--format pdf|png|svg] [--origin URL] [--paper a4|letter] --out DIR|FILE.pdf

Each poster gets a fresh random venue secret. With --csv (header
name,address,room,category,stay) it writes one poster per row into DIR, or all
of them as pages of one PDF when --out ends in .pdf.

categories: %s
`

func runPoster(ctx context.Context, args []string) error {
	fs := newFlagSet("poster")
	name := fs.String("name", "", "venue `name` (required without --csv)")
	address := fs.String("address", "", "venue `address`")
	room := fs.String("room", "", "`room` or area within the venue")
	category := fs.String("category", "other", "venue `category`")
	stay := fs.String("stay", "", "default length of stay, such as 90m or 2h (default: the category's)")
	origin := fs.String("origin", core.DefaultOrigin, "the app's `URL` origin")
	paper := fs.String("paper", "a4", "paper size: a4 or letter")
	format := fs.String("format", "", "output format: pdf, png or svg")
	out := fs.String("out", "", "output `file`, or directory with --csv")
	csvFile := fs.String("csv", "", "CSV `file` of venues, one poster per row")
	dpi := fs.Int("dpi", 150, "resolution of PNG posters")
	fs.Usage = func() { printPosterUsage(fs) }
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	p, err := qr.ParsePaper(*paper)
	if err != nil {
		return err
	}
	opt := &qr.PosterOptions{Origin: *origin, Paper: p, DPI: *dpi}
	if *out == "" {
		return errors.New("poster: --out is required")
	}
	if *csvFile != "" {
		if *name != "" {
			return errors.New("poster: use either --name or --csv")
		}
		return posterBatch(ctx, *csvFile, *format, *out, opt)
	}
	if *name == "" {
		return errors.New("poster: --name or --csv is required")
	}
	write, err := posterWriter(*format)
	if err != nil {
		return err
	}
	c, err := core.ParseCategory(*category)
	if err != nil {
		return err
	}
	v, err := core.NewVenue(*name, c)
	if err != nil {
		return err
	}
	v.Address, v.Room = *address, *room
	if *stay != "" {
		if v.Stay, err = qr.ParseStay(*stay); err != nil {
			return err
		}
	}
	if err := v.Validate(); err != nil {
		return err
	}
	return writeFile(*out, func(w io.Writer) error { return write(w, v, opt) })
}

func printPosterUsage(fs *flag.FlagSet) {
	names := make([]string, 0, 9)
	for _, c := range core.Categories() {
		names = append(names, c.String())
	}
	fmt.Fprintf(fs.Output(), posterUsage, strings.Join(names, ", "))
	printFlags(fs)
}

type posterFunc func(io.Writer, *core.Venue, *qr.PosterOptions) error

func posterWriter(format string) (posterFunc, error) {
	switch format {
	case "pdf":
		return qr.WritePDF, nil
	case "png":
		return qr.WritePNG, nil
	case "svg":
		return qr.WriteSVG, nil
	case "":
		return nil, errors.New("poster: --format is required (pdf, png or svg)")
	}
	return nil, fmt.Errorf("poster: unknown format %q (want pdf, png or svg)", format)
}

func posterBatch(ctx context.Context, csvFile, format, out string, opt *qr.PosterOptions) error {
	f, err := os.Open(csvFile)
	if err != nil {
		return err
	}
	venues, err := qr.ReadBatch(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", csvFile, err)
	}
	if strings.EqualFold(filepath.Ext(out), ".pdf") {
		if format != "" && format != "pdf" {
			return fmt.Errorf("poster: --out %s is a PDF but --format is %s", out, format)
		}
		if err := writeFile(out, func(w io.Writer) error { return qr.WritePDFBatch(w, venues, opt) }); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d posters\n", out, len(venues))
		return nil
	}
	if format == "" {
		format = "pdf"
	}
	write, err := posterWriter(format)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for i, name := range qr.FileNames(venues, "."+format) {
		if err := ctx.Err(); err != nil {
			return err
		}
		path := filepath.Join(out, name)
		if err := writeFile(path, func(w io.Writer) error { return write(w, venues[i], opt) }); err != nil {
			return err
		}
		fmt.Fprintln(stdout, path)
	}
	return nil
}

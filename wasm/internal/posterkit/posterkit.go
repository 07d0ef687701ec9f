// Package posterkit is the logic behind the venue owner page (web/poster.html):
// it turns the page's form into a qr.Venue and writes its poster in the
// requested formats, and turns an uploaded CSV into one multi-page PDF. It is
// plain Go, tested natively; wasm/poster.go only moves values between
// JavaScript and these functions.
//
// A Maker keeps one venue secret across calls, so the live preview, the PDF
// and the PNG of one form show the same code. The secret comes from
// crypto/rand (in the browser, the Web Crypto API through Go's runtime) and
// leaves the Maker only inside the poster and its URL.
//
// Warning: whoever sees a poster or its URL holds the venue secret; see the
// qr package.
package posterkit

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/safetrace/safetrace/qr"
	"github.com/safetrace/safetrace/qr/core"
)

// Request is the venue owner's form. Empty Category means "other"; empty Stay
// means the category's default; empty Paper means A4; empty Origin means
// qr.DefaultOrigin.
type Request struct {
	Name     string `json:"name"`
	Address  string `json:"address"`
	Room     string `json:"room"`
	Category string `json:"category"`
	Stay     string `json:"stay"` // minutes ("45") or a Go duration ("1h30m")
	Paper    string `json:"paper"`
	Origin   string `json:"origin"`
}

// Poster holds the formats that were asked for; the others are nil.
type Poster struct {
	URL      string // the URL in the code, secret included
	FileName string // base name for downloads, without extension
	SVG      []byte
	PDF      []byte
	PNG      []byte
}

// Formats names the poster formats Make accepts.
var Formats = []string{"svg", "pdf", "png"}

// A Maker makes posters for one venue secret. The zero Maker is not usable;
// call New. A Maker is safe for concurrent use.
type Maker struct {
	mu     sync.Mutex
	secret [core.SecretSize]byte
}

// New returns a Maker with a fresh random secret.
func New() (*Maker, error) {
	m := &Maker{}
	if err := m.Renew(); err != nil {
		return nil, err
	}
	return m, nil
}

// Renew replaces the secret with a fresh random one: posters made afterwards
// belong to a different venue.
func (m *Maker) Renew() error {
	var s [core.SecretSize]byte
	if _, err := rand.Read(s[:]); err != nil {
		return fmt.Errorf("posterkit: venue secret: %w", err)
	}
	m.mu.Lock()
	m.secret = s
	m.mu.Unlock()
	return nil
}

// Venue returns the venue the request describes, with the Maker's secret.
func (m *Maker) Venue(r Request) (*core.Venue, error) {
	c, err := core.ParseCategory(strings.ToLower(strings.TrimSpace(r.Category)))
	if err != nil {
		return nil, err
	}
	v := &core.Venue{Name: strings.TrimSpace(r.Name), Address: strings.TrimSpace(r.Address),
		Room: strings.TrimSpace(r.Room), Category: c, Risk: c.DefaultRisk(), Stay: c.DefaultStay()}
	if v.Name == "" {
		return nil, errors.New("posterkit: name is required")
	}
	if s := strings.TrimSpace(r.Stay); s != "" {
		if v.Stay, err = qr.ParseStay(s); err != nil {
			return nil, err
		}
	}
	m.mu.Lock()
	v.Secret = m.secret
	m.mu.Unlock()
	if err := v.Validate(); err != nil {
		return nil, err
	}
	return v, nil
}

func options(paper, origin string) (*qr.PosterOptions, error) {
	p, err := qr.ParsePaper(strings.TrimSpace(paper))
	if err != nil {
		return nil, err
	}
	origin = strings.TrimRight(strings.TrimSpace(origin), "/")
	if origin == "" {
		origin = core.DefaultOrigin
	}
	if !strings.HasPrefix(origin, "https://") && !strings.HasPrefix(origin, "http://") {
		return nil, fmt.Errorf("posterkit: origin %q is not an http(s) origin", origin)
	}
	return &qr.PosterOptions{Origin: origin, Paper: p}, nil
}

// Make writes the poster of r in each of formats ("svg", "pdf", "png");
// no formats means all three.
func (m *Maker) Make(r Request, formats ...string) (*Poster, error) {
	v, err := m.Venue(r)
	if err != nil {
		return nil, err
	}
	opt, err := options(r.Paper, r.Origin)
	if err != nil {
		return nil, err
	}
	if len(formats) == 0 {
		formats = Formats
	}
	p := &Poster{URL: v.URL(opt.Origin), FileName: qr.FileNames([]*core.Venue{v}, "")[0]}
	for _, f := range formats {
		var buf bytes.Buffer
		switch f {
		case "svg":
			err = qr.WriteSVG(&buf, v, opt)
			p.SVG = buf.Bytes()
		case "pdf":
			err = qr.WritePDF(&buf, v, opt)
			p.PDF = buf.Bytes()
		case "png":
			err = qr.WritePNG(&buf, v, opt)
			p.PNG = buf.Bytes()
		default:
			return nil, fmt.Errorf("posterkit: unknown format %q", f)
		}
		if err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Batch reads a CSV of venues (header name,address,room,category,stay; see
// qr.ReadBatch), gives each a fresh secret and returns one PDF with a page
// per venue, and the venues' names in order.
func Batch(csv []byte, paper, origin string) (pdf []byte, names []string, err error) {
	opt, err := options(paper, origin)
	if err != nil {
		return nil, nil, err
	}
	venues, err := qr.ReadBatch(bytes.NewReader(csv))
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	if err := qr.WritePDFBatch(&buf, venues, opt); err != nil {
		return nil, nil, err
	}
	for _, v := range venues {
		names = append(names, v.Name)
	}
	return buf.Bytes(), names, nil
}

// Category describes one venue category for the form's select element.
type Category struct {
	Name        string `json:"name"`
	StayMinutes int    `json:"stay_minutes"`
	Risk        int    `json:"risk"`
}

// Categories lists every category with its default stay and risk.
func Categories() []Category {
	var cs []Category
	for _, c := range core.Categories() {
		cs = append(cs, Category{Name: c.String(), StayMinutes: int(c.DefaultStay().Minutes()), Risk: int(c.DefaultRisk())})
	}
	return cs
}

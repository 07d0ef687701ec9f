package main

import (
	"os/exec"
	"strings"
	"testing"
)

// serverDeps are what no browser module may link: anything under party/,
// the computation host and jobs, bbolt, the epoch, the native WebSocket
// library and the browser test driver.
var serverDeps = []string{"go.etcd.io/bbolt", "github.com/gorilla/websocket",
	"github.com/safetrace/safetrace/party/", "github.com/safetrace/safetrace/compute",
	"github.com/safetrace/safetrace/epoch", "github.com/safetrace/safetrace/regionmap/regionjob",
	"github.com/chromedp/"}

// posterDeps are what the visitor app's module must not link: the poster
// page's PDF writer, fonts and renderers (its own module, wasm/poster).
var posterDeps = []string{"github.com/go-pdf/fpdf", "golang.org/x/image/",
	"github.com/safetrace/safetrace/wasm/internal/posterkit"}

func jsDeps(t *testing.T, pkg string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", pkg)
	cmd.Env = append(cmd.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

func checkDeps(t *testing.T, module string, deps []string, bad []string, exact ...string) {
	t.Helper()
	for _, dep := range deps {
		for _, b := range bad {
			if strings.HasPrefix(dep, b) {
				t.Errorf("the %s module links %s", module, dep)
			}
		}
		for _, e := range exact {
			if dep == e {
				t.Errorf("the %s module links %s", module, dep)
			}
		}
	}
}

// TestDeps keeps the browser modules from linking server code, the poster
// maker's module from linking the client, and the visitor app's module
// (this package) and the warning module from linking the poster maker:
// it uses qr/core (the venue code and the decoder), never package qr with
// its renderers.
func TestDeps(t *testing.T) {
	checkDeps(t, "visitor app's", jsDeps(t, "."), append(serverDeps, posterDeps...),
		"github.com/safetrace/safetrace/qr",
		// gozxing's reader and encoder: qr/internal/scan reads the data
		// bit stream itself (see TestNoCharsetTables).
		"github.com/makiuchi-d/gozxing/qrcode", "github.com/makiuchi-d/gozxing/qrcode/encoder")
	// The poster maker carries no client: the warning form's module does,
	// loaded when the form is used.
	checkDeps(t, "poster page's", jsDeps(t, "./poster"), append(serverDeps,
		"github.com/safetrace/safetrace/client", "github.com/safetrace/safetrace/relay/",
		"github.com/safetrace/safetrace/wasm/internal/warnkit"))
	checkDeps(t, "poster page's warning", jsDeps(t, "./warn"), append(serverDeps, posterDeps...))
}

// TestNoCharsetTables keeps the visitor app's module from linking the
// Chinese, Japanese and Korean character set tables of golang.org/x/text
// (about 350 KB of the gzipped module). gozxing's common package imports
// them, so go list cannot tell; the linker's reachability graph can: the
// tables are reached only through the decoders' and encoders' Transform
// methods, and those only through gozxing's DecodedBitStreamParser, which
// qr/internal/scan replaces.
func TestNoCharsetTables(t *testing.T) {
	if testing.Short() {
		t.Skip("links the module")
	}
	cmd := exec.Command("go", "build", "-ldflags=-dumpdep", "-o", t.TempDir()+"/app.wasm", ".")
	cmd.Env = append(cmd.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cjk := []string{"golang.org/x/text/encoding/japanese.", "golang.org/x/text/encoding/korean.",
		"golang.org/x/text/encoding/simplifiedchinese.", "golang.org/x/text/encoding/traditionalchinese."}
	bad := map[string]bool{}
	for line := range strings.Lines(string(out)) {
		_, sym, ok := strings.Cut(strings.TrimSpace(line), " -> ")
		if !ok {
			continue
		}
		sym, _, _ = strings.Cut(sym, " ") // "<UsedInIface>" and the like
		if sym == "github.com/makiuchi-d/gozxing/qrcode/decoder.DecodedBitStreamParser_Decode" {
			bad[sym] = true
		}
		for _, p := range cjk {
			if strings.HasPrefix(sym, p) && strings.HasSuffix(sym, ".Transform") {
				bad[sym] = true
			}
		}
	}
	if len(out) < 1000 {
		t.Fatalf("go build -ldflags=-dumpdep printed %d bytes, no reachability graph", len(out))
	}
	for sym := range bad {
		t.Errorf("the visitor app's module links %s", sym)
	}
}

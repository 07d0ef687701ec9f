// Command dist builds the browser modules into a web/dist directory, as
// "make wasm" and the browser tests use them:
//
//	go run ./wasm/internal/dist [-o web/dist]
//
// It compiles the visitor app's module (./wasm), the poster page's
// (./wasm/poster) and the poster page's warning module (./wasm/warn, loaded
// only when its "Warn visitors" form is used) with GOOS=js GOARCH=wasm
// (packages off the hot paths without inlining: coldPackages),
// copies wasm_exec.js from the Go tree, and names each file after its
// content (app.<hash>.wasm, poster.<hash>.wasm, warn.<hash>.wasm,
// wasm_exec.<hash>.js) so a web server can let browsers cache them for
// good. Next to each it writes the brotli (.br, quality 11)
// and gzip (.gz, level 9) encodings, which "safetrace dev" serves as they
// are. The names go to assets.json (for servers and tests) and assets.js,
// which sets self.safetraceAssets for the pages and the service worker.
// Files of earlier builds are removed.
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

func main() {
	out := flag.String("o", "web/dist", "output `directory`")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "dist:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(out, ".build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return fmt.Errorf("go env GOROOT: %v", err)
	}
	sources := map[string]string{ // logical name: built or copied file
		"wasm_exec.js": filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"),
	}
	for _, m := range []struct {
		name, pkg string
		cold      []string
	}{{"app", "./wasm", slices.Concat(coldPackages, appCold)}, {"poster", "./wasm/poster", coldPackages}, {"warn", "./wasm/warn", coldPackages}} {
		wasm := filepath.Join(tmp, m.name+".wasm")
		args := []string{"build", "-trimpath", "-ldflags=-s"}
		for _, p := range m.cold {
			args = append(args, "-gcflags="+p+"=-l")
		}
		cmd := exec.Command("go", append(args, "-o", wasm, m.pkg)...)
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build %s: %v", m.pkg, err)
		}
		sources[m.name+".wasm"] = wasm
	}
	assets := map[string]string{}
	keep := map[string]bool{"assets.json": true, "assets.js": true}
	var wg sync.WaitGroup
	errs := make(chan error, len(sources))
	for logical, src := range sources {
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ext := filepath.Ext(logical)
		name := strings.TrimSuffix(logical, ext) + "." + hex.EncodeToString(sum[:8]) + ext
		assets[logical] = name
		keep[name], keep[name+".br"], keep[name+".gz"] = true, true, true
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- write(out, name, b)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	j, _ := json.MarshalIndent(assets, "", "  ")
	if err := os.WriteFile(filepath.Join(out, "assets.json"), append(j, '\n'), 0o644); err != nil {
		return err
	}
	var js bytes.Buffer
	fmt.Fprintf(&js, assetsJS, j)
	if err := os.WriteFile(filepath.Join(out, "assets.js"), js.Bytes(), 0o644); err != nil {
		return err
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	var sizes []string
	for _, e := range ents {
		if e.Name() == filepath.Base(tmp) {
			continue
		}
		if !keep[e.Name()] {
			os.Remove(filepath.Join(out, e.Name())) // an earlier build's
			continue
		}
		if fi, err := e.Info(); err == nil {
			sizes = append(sizes, fmt.Sprintf("%10d %s", fi.Size(), e.Name()))
		}
	}
	sort.Strings(sizes)
	fmt.Printf("dist: %s\n%s\n", out, strings.Join(sizes, "\n"))
	return nil
}

// coldPackages are compiled without inlining (-gcflags=pkg=-l), where
// inlining only copies code: packages the modules use off their hot paths
// (decoding a camera frame, sharing, sealing and the proof of work stay
// inlined), at the cost of slower JSON, formatting and time parsing, which
// the app does a few times per user action (decoding a stored history of
// 300 visits: 1.7-2.8 ms before, 3.2-3.4 ms after, in node); the QR
// encoder, which draws a code once; and what no module calls: the NIST
// curves and ML-KEM (linked because crypto/hpke's init registers every
// KEM). The visitor app's module also gets appCold. Together they take
// 61 KB off its gzipped size (2.046 to 1.985 MB).
var coldPackages = []string{"encoding/json", "fmt", "reflect", "time", "log", "log/slog",
	"net", "net/url", "golang.org/x/text/...", "golang.org/x/xerrors",
	"github.com/skip2/go-qrcode/...",
	"crypto/internal/fips140/nistec/...", "crypto/internal/fips140/ecdh", "crypto/internal/fips140/mlkem"}

// appCold is what the visitor app links but never calls: image/png's
// decoder and compress/flate, registered by go-qrcode's import of
// image/png (the poster page writes PNG and PDF files with them, and the
// warning module reads a poster's).
var appCold = []string{"compress/..."}

// assetsJS is web/dist/assets.js; %s is the JSON object of names.
const assetsJS = `// Written by "make wasm" (wasm/internal/dist): the content-hashed names of
// the built files, for the pages and the service worker. A page that names
// its module (<script defer src=".../assets.js" data-module="app.wasm">)
// starts its download and loads the Go loader (wasm_exec.js) at once:
// self.safetraceLoad is a Promise of the module's Response, resolved once
// wasm_exec.js has run.
self.safetraceAssets = %s;
(() => {
  const me = self.document && document.currentScript;
  const mod = me && me.dataset.module;
  if (!mod) return;
  const base = new URL(".", me.src).href;
  const resp = fetch(base + self.safetraceAssets[mod]);
  const exec = new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = base + self.safetraceAssets["wasm_exec.js"];
    s.onload = resolve;
    s.onerror = () => reject(new Error("wasm_exec.js did not load"));
    document.head.append(s);
  });
  self.safetraceLoad = exec.then(() => resp);
})();
`

// write writes name, name.br and name.gz; each file appears complete or not
// at all.
func write(dir, name string, b []byte) error {
	var gz, br bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		return err
	}
	bw := brotli.NewWriterOptions(&br, brotli.WriterOptions{Quality: 11, LGWin: 24})
	bw.Write(b)
	if err := bw.Close(); err != nil {
		return err
	}
	for suffix, data := range map[string][]byte{"": b, ".gz": gz.Bytes(), ".br": br.Bytes()} {
		tmp := filepath.Join(dir, "."+name+suffix+".tmp")
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(dir, name+suffix)); err != nil {
			return err
		}
	}
	return nil
}

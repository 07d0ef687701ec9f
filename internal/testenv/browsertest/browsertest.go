// Package browsertest runs SafeTrace's web pages in headless Chromium for
// tests: it builds the safetrace binary and the WebAssembly client, starts a
// whole local deployment as real processes ("safetrace dev": 3 parties, a
// relay and the web server on loopback), launches Chromium profiles with a
// fake camera, geolocation and a test clock, and writes screenshots to
// test-artifacts/.
//
// Typical use:
//
//	chromium := browsertest.Chromium(t) // skips, or fails when CI is set
//	dev := browsertest.StartDev(t)
//	ctx := browsertest.NewBrowser(t, browsertest.Options{Exec: chromium})
//	err := chromedp.Do(ctx, chromedp.Navigate(dev.URL))
//	browsertest.Screenshot(t, ctx, "home")
//
// Warning: for tests only. Chromium runs with --no-sandbox.
package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ModuleRoot returns the repository's root directory (where go.mod is).
func ModuleRoot(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// build builds the binary and a web root once per test process: the web
// root holds index.html, web/ and web/dist as "make wasm" makes it (both
// modules and wasm_exec.js under content-hashed names, with their .br and
// .gz, assets.json and assets.js; wasm/internal/dist).
func build(t testing.TB) (bin, webRoot string) {
	t.Helper()
	root := ModuleRoot(t)
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "safetrace-browsertest-")
		if buildErr != nil {
			return
		}
		start := time.Now()
		var errs []string
		run := func(env []string, args ...string) {
			cmd := exec.Command("go", args...)
			cmd.Dir, cmd.Env = root, append(os.Environ(), env...)
			if out, err := cmd.CombinedOutput(); err != nil {
				errs = append(errs, fmt.Sprintf("go %s: %v\n%s", strings.Join(args, " "), err, out))
			}
		}
		web := filepath.Join(buildDir, "www")
		dist := filepath.Join(web, "web", "dist")
		// One after the other: the machine may have two cores only, and
		// run appends to errs.
		run(nil, "build", "-o", filepath.Join(buildDir, "safetrace"), "./cmd/safetrace")
		run(nil, "run", "./wasm/internal/dist", "-o", dist)
		if len(errs) > 0 {
			buildErr = fmt.Errorf("%s", strings.Join(errs, "\n"))
			return
		}
		if buildErr = copyTree(filepath.Join(root, "web"), filepath.Join(web, "web")); buildErr != nil {
			return
		}
		if buildErr = copyFile(filepath.Join(root, "index.html"), filepath.Join(web, "index.html")); buildErr != nil {
			return
		}
		fmt.Fprintf(os.Stderr, "browsertest: built safetrace and the wasm client in %v\n", time.Since(start).Round(time.Millisecond))
	})
	if buildErr != nil {
		t.Fatalf("browsertest: build: %v", buildErr)
	}
	return filepath.Join(buildDir, "safetrace"), filepath.Join(buildDir, "www")
}

// WebRoot returns a directory served as the web root: index.html, web/ and
// the built client in web/dist.
func WebRoot(t testing.TB) string { _, w := build(t); return w }

// Assets returns the names "make wasm" gave the built files
// (web/dist/assets.json): "app.wasm", "poster.wasm" and "wasm_exec.js" to
// their content-hashed names.
func Assets(t testing.TB) map[string]string {
	b, err := os.ReadFile(filepath.Join(WebRoot(t), "web", "dist", "assets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Binary returns the path of a safetrace binary built from this tree.
func Binary(t testing.TB) string { b, _ := build(t); return b }

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if rel == "dist" {
				return filepath.SkipDir // built fresh
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		return copyFile(p, filepath.Join(dst, rel))
	})
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// Dev is a running "safetrace dev" deployment.
type Dev struct {
	URL      string // the web app, http://localhost:PORT/
	Dir      string // deployment directory: manifest.json, party keys, authority.key
	Manifest string // path of manifest.json
	Bin      string // the safetrace binary
	Log      *Buffer
	Desk     string // the health authority's desk, http://127.0.0.1:PORT/

	cmd  *exec.Cmd
	done chan struct{}
}

// Buffer is a bytes buffer safe for concurrent writes.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freePort(t testing.TB) int { return freeRun(t, 1) }

// freeRun returns the first of n consecutive free loopback ports, below the
// kernel's ephemeral range (32768 and up here), where no outgoing
// connection of another test can take them between the probe and the bind.
func freeRun(t testing.TB, n int) int {
	for range 50 {
		base := 20000 + rand.IntN(12000)
		ok := true
		for i := range n {
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+i))
			if err != nil {
				ok = false
				break
			}
			ln.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free port range")
	return 0
}

// StartDev starts "safetrace dev" with a fresh deployment in a temporary
// directory on free loopback ports, serving WebRoot, and waits until the
// relay and all parties are healthy. It stops (SIGTERM) at the end of the
// test.
func StartDev(t testing.TB) *Dev {
	t.Helper()
	bin, web := build(t)
	// A port taken between the probe and the bind makes a process of the
	// deployment exit at once: try again on other ports.
	for attempt := 0; ; attempt++ {
		d, err := startDev(t, bin, web)
		if err == nil {
			return d
		}
		if attempt == 2 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
	}
}

func startDev(t testing.TB, bin, web string) (*Dev, error) {
	dir := t.TempDir()
	webPort, relayPort, deskPort := freePort(t), freePort(t), freePort(t)
	d := &Dev{URL: fmt.Sprintf("http://localhost:%d/", webPort), Dir: dir, Manifest: filepath.Join(dir, "manifest.json"),
		Bin: bin, Log: &Buffer{}, Desk: fmt.Sprintf("http://127.0.0.1:%d/", deskPort), done: make(chan struct{})}
	d.cmd = exec.Command(bin, "dev", "--dir", dir, "--web", fmt.Sprintf("127.0.0.1:%d", webPort),
		"--web-root", web, "--relay-port", fmt.Sprint(relayPort),
		"--party-http-base", fmt.Sprint(freeRun(t, 3)), "--mesh-base-port", fmt.Sprint(freeRun(t, 3)),
		"--desk", fmt.Sprintf("127.0.0.1:%d", deskPort))
	d.cmd.Stdout, d.cmd.Stderr = d.Log, d.Log
	if err := d.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { d.cmd.Wait(); close(d.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if d.healthy() {
			t.Cleanup(d.Stop)
			return d, nil
		}
		select {
		case <-d.done:
			return nil, fmt.Errorf("safetrace dev exited:\n%s", d.Log)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			d.Stop()
			return nil, fmt.Errorf("safetrace dev not healthy after 60s:\n%s", d.Log)
		}
	}
}

func (d *Dev) healthy() bool {
	resp, err := http.Get(d.URL + "api/status")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var st struct {
		Components []struct {
			OK     bool            `json:"ok"`
			Health json.RawMessage `json:"health"`
		} `json:"components"`
	}
	if json.NewDecoder(resp.Body).Decode(&st) != nil || len(st.Components) == 0 {
		return false
	}
	for _, c := range st.Components {
		var h struct {
			Registered *int `json:"relays_registered"`
		}
		json.Unmarshal(c.Health, &h)
		if !c.OK || (h.Registered != nil && *h.Registered == 0) {
			return false
		}
	}
	return true
}

// Stop stops the deployment (SIGTERM, then SIGKILL after 15 seconds).
func (d *Dev) Stop() {
	select {
	case <-d.done:
		return
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(15 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
	}
}

// Run runs the deployment's safetrace binary with args and returns its
// standard output.
func (d *Dev) Run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, d.Bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("safetrace %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out), nil
}

// deskPassword matches the first staff password "safetrace dev" prints.
var deskPassword = regexp.MustCompile(`sign in as "([^"]+)" with password (\S+)`)

// StaffAccount returns the desk's first staff account and password, as
// "safetrace dev" printed them.
func (d *Dev) StaffAccount(t testing.TB) (name, password string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if m := deskPassword.FindStringSubmatch(d.Log.String()); m != nil {
			return m[1], m[2]
		}
	}
	t.Fatalf("safetrace dev printed no staff password:\n%s", d.Log)
	return "", ""
}

// IssueCode issues one positive-test code with the deployment's authority
// key ("safetrace authority issue").
func (d *Dev) IssueCode(t testing.TB) string {
	t.Helper()
	out, err := d.Run(context.Background(), "authority", "issue", "--key", filepath.Join(d.Dir, "authority.key"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

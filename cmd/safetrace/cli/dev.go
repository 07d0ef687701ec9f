package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/desk"
)

const devUsage = `usage:
  safetrace dev [--dir .safetrace] [--web :8080] [--web-root .] [--relay-port 8081]
        [--party-http-base 9101] [--mesh-base-port 7001] [--desk 127.0.0.1:8082]`

// runDev runs a whole local deployment: 3 party processes, a relay process,
// the health authority's desk and a static web server with a status
// endpoint, until ctx is done.
func runDev(ctx context.Context, args []string) error {
	fs := newFlagSet("dev")
	fs.Usage = usageFunc(fs, devUsage)
	dir := fs.String("dir", ".safetrace", "deployment `directory`, created with 3 parties if absent")
	web := fs.String("web", "127.0.0.1:8080", "`address` of the web server")
	root := fs.String("web-root", ".", "`directory` holding index.html and web/ (only the app's files are served)")
	relayPort := fs.Int("relay-port", 8081, "relay `port` on 127.0.0.1")
	httpBase := fs.Int("party-http-base", 9101, "party i serves /healthz and /metrics on 127.0.0.1:`port`+i-1")
	meshBase := fs.Int("mesh-base-port", 7001, "party i's mesh listens on 127.0.0.1:`port`+i-1")
	deskAddr := fs.String("desk", "127.0.0.1:8082", "`address` of the health authority's desk (plain HTTP: loopback only)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	_, webPort, err := net.SplitHostPort(*web)
	if err != nil {
		return fmt.Errorf("dev: --web: %w", err)
	}
	if err := checkOutsideWeb(*dir, *root); err != nil {
		return err
	}
	mpath := filepath.Join(*dir, "manifest.json")
	if _, err := os.Stat(mpath); errors.Is(err, os.ErrNotExist) {
		err := manifestInit([]string{"--out", *dir, "--parties", "3", "--threshold", "1",
			"--mesh-base-port", strconv.Itoa(*meshBase),
			"--relay", fmt.Sprintf("ws://127.0.0.1:%d/ws", *relayPort),
			"--origin", "http://localhost:" + webPort})
		if err != nil {
			return err
		}
	}
	m, err := readVerifiedManifest(mpath)
	if err != nil {
		return err
	}
	mb, err := m.Marshal()
	if err != nil {
		return err
	}
	exe, err := selfExecutable()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var procs []*devProc
	start := func(name string, args ...string) error {
		p, err := startDevProc(ctx, cancel, name, exe, args...)
		if err == nil {
			procs = append(procs, p)
		}
		return err
	}
	stopAll := func() { // parties first, then the relay
		for i := len(procs) - 1; i >= 0; i-- {
			procs[i].stop()
		}
	}
	defer stopAll()
	relayAddr := fmt.Sprintf("127.0.0.1:%d", *relayPort)
	if err := start("relay", "relay", "--manifest", mpath, "--listen", relayAddr); err != nil {
		return err
	}
	staffPath := filepath.Join(*dir, "staff.json")
	firstPassword, err := devStaff(staffPath)
	if err != nil {
		return err
	}
	if err := start("desk", "authority", "serve", "--key", filepath.Join(*dir, "authority.key"), "--staff", staffPath,
		"--listen", *deskAddr, "--data", filepath.Join(*dir, "desk")); err != nil {
		return err
	}
	deskURL := "http://" + *deskAddr + "/"
	waitHealthy(ctx, deskURL+"healthz", 10*time.Second) // before the parties' first fetch
	st := &devStatus{m: m, relay: "http://" + relayAddr + "/healthz"}
	for _, p := range m.Parties {
		addr := fmt.Sprintf("127.0.0.1:%d", *httpBase+p.ID-1)
		st.parties = append(st.parties, "http://"+addr+"/healthz")
		if err := start(fmt.Sprintf("party%d", p.ID), "party", "--manifest", mpath,
			"--key", filepath.Join(*dir, fmt.Sprintf("party%d.key", p.ID)),
			"--data", filepath.Join(*dir, fmt.Sprintf("party%d", p.ID)), "--listen", addr,
			// Fetched often: a revocation at the local desk shows at once.
			"--revocations", deskURL+"v1/revocations", "--revocations-every", "2s"); err != nil {
			return err
		}
	}
	app, err := webHandler(*root, appCSP(m.Relays))
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/status", st)
	mux.Handle("GET /api/manifest.json", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(mb)
	}))
	registerDashboard(mux, devPartyEndpoints(st))
	mux.Handle("/", app)
	ln, err := net.Listen("tcp", *web)
	if err != nil {
		return fmt.Errorf("dev: web server: %w", err)
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	fmt.Fprintf(stdout, "SafeTrace local deployment %s (manifest %s)\n", *dir, m.Hash())
	// The app's origin from the manifest (localhost): the relay accepts
	// browsers from that origin only.
	fmt.Fprintf(stdout, "  web app:  %s/  (status: %s/api/status)\n", m.AppOrigin, m.AppOrigin)
	fmt.Fprintf(stdout, "  relay:    %s  (health: %s)\n", m.Relays[0], st.relay)
	for i, u := range st.parties {
		fmt.Fprintf(stdout, "  party %d:  %s\n", i+1, u)
	}
	fmt.Fprintf(stdout, "  desk:     %s  (health authority staff)\n", deskURL)
	if firstPassword != "" {
		fmt.Fprintf(stdout, "            sign in as %q with password %s (shown once; 'safetrace authority staff add --staff %s NAME' adds more)\n",
			devStaffName, firstPassword, staffPath)
	}
	fmt.Fprintln(stdout, "Press Ctrl-C to stop.")
	<-ctx.Done()
	sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
	defer c()
	hs.Shutdown(sctx)
	stopAll()
	procs = nil
	fmt.Fprintln(stdout, "stopped")
	return nil
}

// waitHealthy polls url until it answers 200, ctx ends or wait passes.
func waitHealthy(ctx context.Context, url string, wait time.Duration) {
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// devStaffName is the first staff account of a local deployment's desk.
const devStaffName = "desk"

// devStaff creates the staff file at path with the account devStaffName
// and a random password, which it returns, unless the file exists.
func devStaff(path string) (string, error) {
	if _, err := os.Stat(path); err == nil {
		return "", nil
	}
	pw := desk.GeneratePassword()
	if err := desk.AddStaff(path, devStaffName, pw, desk.DefaultParams); err != nil {
		return "", err
	}
	return pw, nil
}

// devProc is a child process of "safetrace dev".
type devProc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

// startDevProc starts exe with args; its output goes to ours, prefixed by
// nothing (the parties log JSON with their id). If it exits before ctx is
// done, cancel stops the whole deployment.
func startDevProc(ctx context.Context, cancel context.CancelFunc, name, exe string, args ...string) (*devProc, error) {
	cmd := exec.Command(exe, args...)
	cmd.Args[0] = "safetrace"
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("dev: start %s: %w", name, err)
	}
	p := &devProc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		close(p.done)
		if ctx.Err() == nil {
			fmt.Fprintf(os.Stderr, "safetrace: error: dev: %s exited: %v; stopping\n", name, err)
			cancel()
		}
	}()
	return p, nil
}

// stop sends SIGTERM and waits, killing the process after 10 seconds.
func (p *devProc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// devStatus serves /api/status: the health of every party and the relay.
type devStatus struct {
	m       *manifest.Manifest
	relay   string
	parties []string
}

type componentStatus struct {
	Name   string          `json:"name"`
	URL    string          `json:"url"`
	OK     bool            `json:"ok"`
	Health json.RawMessage `json:"health,omitempty"`
	Error  string          `json:"error,omitempty"`
}

func (s *devStatus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	comps := make([]componentStatus, len(s.parties)+1)
	var wg sync.WaitGroup
	probe := func(i int, name, u string) {
		c := componentStatus{Name: name, URL: u}
		req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			c.Error = err.Error()
		} else {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			c.OK = resp.StatusCode == 200
			if json.Valid(b) {
				c.Health = b
			} else {
				c.Health, _ = json.Marshal(string(b))
			}
		}
		comps[i] = c
	}
	wg.Go(func() { probe(0, "relay", s.relay) })
	for i, u := range s.parties {
		wg.Go(func() { probe(i+1, s.m.Parties[i].Name, u) })
	}
	wg.Wait()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"deployment": s.m.Deployment, "manifest": s.m.Hash().String(),
		"n": s.m.N, "t": s.m.T, "relays": s.m.Relays, "components": comps,
	})
}

// appCSP is the visitor app's Content-Security-Policy: its own origin only,
// WebAssembly compilation ('wasm-unsafe-eval', no JavaScript eval), the
// deployment's relays for WebSockets, the camera's stream and QR images as
// data URLs; no third-party origin, no inline script, no framing.
func appCSP(relays []string) string {
	connect := "'self'"
	for _, r := range relays {
		// The origin only: a CSP source with a path matches that path
		// alone, and clients dial paths below it (/ws/client).
		if u, err := url.Parse(r); err == nil && u.Host != "" {
			connect += " " + u.Scheme + "://" + u.Host
		}
	}
	return "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
		"img-src 'self' data: blob:; media-src 'self' blob: mediastream:; connect-src " + connect + "; " +
		"worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

package cli

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAttackDevServerPathTraversal plays a visitor of "safetrace dev" who
// asks the web server for the deployment's secrets next to the app: the
// authority's key, the party keys and stores, directory listings. The
// requests go raw over TCP, as curl --path-as-is sends them, so no client
// cleans the path first. Nothing but the app's files may come back.
func TestAttackDevServerPathTraversal(t *testing.T) {
	root := t.TempDir()
	const secret = "SECRET-DEPLOYMENT-BYTES"
	files := map[string]string{
		"index.html":                   "<!doctype html>app",
		"web/app.js":                   "// app",
		"web/sw.js":                    "// service worker",
		"web/i18n/en.json":             `{"hello":"hello"}`,
		".safetrace/authority.key":     secret + " authority",
		".safetrace/party1.key":        secret + " party1",
		".safetrace/party2/party.db":   secret + " db",
		".safetrace/manifest.json":     secret + " manifest",
		"web/.safetrace/authority.key": secret + " inside web",
		"secret.txt":                   secret + " next to index.html",
	}
	writeTree(t, root, files)
	// Allowed names that are links out of web/, to a secret and to a
	// directory.
	if err := os.Symlink(filepath.Join(root, ".safetrace", "authority.key"), filepath.Join(root, "web", "app.css")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../.safetrace", filepath.Join(root, "web", "icons")); err != nil {
		t.Fatal(err)
	}
	srv := serveWeb(t, root)

	attacks := []string{
		"/web/%2e%2e/.safetrace/authority.key",
		"/web/%2E%2E/.safetrace/party1.key",
		"/web/%2e%2e/.safetrace/party2/party.db",
		"/web/%2e%2e/.safetrace/",
		"/web/%2e%2e/.safetrace",
		"/web/%2e%2e/",
		"/web/%2e%2e/secret.txt",
		"/web/..%2f.safetrace/authority.key",
		"/web/%2e%2e%2f.safetrace%2fauthority.key",
		"/web/%252e%252e/.safetrace/authority.key",
		"/web/%252e%252e%252f.safetrace%252fauthority.key",
		"/web/../.safetrace/authority.key",
		"/web/./../.safetrace/authority.key",
		"/web//../.safetrace/authority.key",
		"/web/%5c..%5c.safetrace%5cauthority.key",
		"/web/..\\.safetrace\\authority.key",
		"/.safetrace/authority.key",
		"/.safetrace/",
		"/.safetrace",
		"/web/.safetrace/authority.key",
		"/web/.safetrace/",
		"/web/",
		"/web",
		"/web/i18n/",
		"/web/app.css",
		"/web/icons/authority.key",
		"/web/icons/icon.svg",
		"/secret.txt",
		"/index.html/../.safetrace/authority.key",
		"//etc/passwd",
		"/web//etc/passwd",
		"/web/%2fetc%2fpasswd",
		"/sw.js/..%2f..%2f.safetrace%2fauthority.key",
		srv.URL + "/web/%2e%2e/.safetrace/authority.key", // absolute-form request target
		"http://evil.example/.safetrace/authority.key",
	}
	for _, target := range attacks {
		code, body := rawGet(t, srv.Listener.Addr().String(), target)
		if strings.Contains(body, secret) {
			t.Errorf("GET %s: %d, leaked deployment data: %q", target, code, body)
		}
		if code == http.StatusOK {
			t.Errorf("GET %s: 200 with %q, want an error or redirect", target, body)
		}
	}
	// The app itself is still served.
	for target, want := range map[string]string{
		"/":                 files["index.html"],
		"/sw.js":            files["web/sw.js"],
		"/web/app.js":       files["web/app.js"],
		"/web/i18n/en.json": files["web/i18n/en.json"],
	} {
		code, body := rawGet(t, srv.Listener.Addr().String(), target)
		if code != http.StatusOK || !strings.HasSuffix(body, want) {
			t.Errorf("GET %s: %d %q, want 200 %q", target, code, body, want)
		}
	}
}

// rawGet sends one GET request with target exactly as given and returns
// the status code and the body.
func rawGet(t *testing.T, addr, target string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET "+target+" HTTP/1.1\r\nHost: "+addr+"\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	io.Copy(&b, resp.Body)
	return resp.StatusCode, b.String()
}

// TestAppFilesListed checks that appFiles lists every file of the
// repository's web/ directory but its Go source, so that a new app file is not left unserved.
func TestAppFilesListed(t *testing.T) {
	listed := map[string]bool{}
	for _, f := range appFiles {
		listed[f] = true
	}
	root := "../../.."
	err := filepath.WalkDir(filepath.Join(root, "web"), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if rel == filepath.Join("web", "dist") {
				return filepath.SkipDir // built by make wasm, listed by hand
			}
			return nil
		}
		if filepath.Ext(rel) == ".go" {
			return nil // package web, which embeds base.css for the desk
		}
		if !listed[filepath.ToSlash(rel)] {
			t.Errorf("%s is not in appFiles", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDeploymentDirOutsideWeb(t *testing.T) {
	for _, tc := range []struct {
		dir, root string
		ok        bool
	}{
		{".safetrace", ".", true},
		{"web/.safetrace", ".", false},
		{"web", ".", false},
		{"/srv/app/web/x", "/srv/app", false},
		{"/var/lib/safetrace", "/srv/app", true},
		{"webx/.safetrace", ".", true},
	} {
		if err := checkOutsideWeb(tc.dir, tc.root); (err == nil) != tc.ok {
			t.Errorf("checkOutsideWeb(%q, %q) = %v", tc.dir, tc.root, err)
		}
	}
}

// TestDevServerDist checks how the built modules are served: only
// content-hashed names of web/dist, as their brotli or gzip encoding when
// the request accepts it (Vary: Accept-Encoding), with an immutable cache
// lifetime; everything else in web/dist is not served.
func TestDevServerDist(t *testing.T) {
	root := t.TempDir()
	const name = "app.0123456789abcdef.wasm"
	files := map[string]string{
		"index.html":                "<!doctype html>app",
		"web/dist/assets.js":        "self.safetraceAssets = {};",
		"web/dist/" + name:          "raw module",
		"web/dist/" + name + ".br":  "brotli module",
		"web/dist/" + name + ".gz":  "gzip module",
		"web/dist/assets.json":      "{}",
		"web/dist/secret.wasm":      "SECRET",
		"web/dist/.build-1/x.wasm":  "SECRET",
		"web/dist/app.wasm":         "SECRET unhashed",
		"web/dist/app.0123.wasm.br": "SECRET",
	}
	writeTree(t, root, files)
	srv := serveWeb(t, root)
	get := func(path, accept string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if accept != "" {
			req.Header.Set("Accept-Encoding", accept)
		}
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	body := func(resp *http.Response) string {
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	for _, tt := range []struct{ accept, enc, body string }{
		{"gzip, deflate, br, zstd", "br", "brotli module"},
		{"gzip", "gzip", "gzip module"},
		{"br;q=0, gzip", "gzip", "gzip module"},
		{"", "", "raw module"},
		{"identity", "", "raw module"},
	} {
		resp := get("/web/dist/"+name, tt.accept)
		got := body(resp)
		if resp.StatusCode != 200 || got != tt.body || resp.Header.Get("Content-Encoding") != tt.enc {
			t.Errorf("Accept-Encoding %q: %d %q, Content-Encoding %q; want %q, %q", tt.accept, resp.StatusCode, got, resp.Header.Get("Content-Encoding"), tt.body, tt.enc)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/wasm" {
			t.Errorf("Content-Type %q", ct)
		}
		if v := resp.Header.Get("Vary"); v != "Accept-Encoding" {
			t.Errorf("Vary %q", v)
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("Cache-Control %q", cc)
		}
	}
	if resp := get("/web/dist/assets.js", "br"); resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-cache" || resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("assets.js: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	for _, p := range []string{"/web/dist/secret.wasm", "/web/dist/app.wasm", "/web/dist/assets.json",
		"/web/dist/" + name + ".br", "/web/dist/app.0123.wasm.br", "/web/dist/.build-1/x.wasm",
		"/web/dist/%2e%2e/dist/" + name, "/web/dist/..%2fdist%2f" + name, "/web/dist/"} {
		if resp := get(p, "br"); resp.StatusCode == 200 || strings.Contains(body(resp), "SECRET") {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}
}

// writeTree writes files (path under root: contents) below root.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// serveWeb serves root with the dev server's web handler until the test
// ends.
func serveWeb(t *testing.T, root string) *httptest.Server {
	t.Helper()
	h, err := webHandler(root, "default-src 'self'")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

package cli

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// distName matches the only other files served: what "make wasm"
// (wasm/internal/dist) writes into web/dist, named after their content
// (16 hex digits of SHA-256), with their precompressed .br and .gz. They
// never change under their name, so browsers may cache them for good.
var distName = regexp.MustCompile(`^(app|poster|warn|wasm_exec)\.[0-9a-f]{16}\.(wasm|js)$`)

// appFiles are the only files of the web root that "safetrace dev" serves,
// besides the content-hashed modules of web/dist (distName): the visitor
// app, the dashboard and poster pages, and the list of built files that
// "make wasm" writes into web/dist. Everything else under the web root (the
// deployment directory with its keys and stores, sources, dotfiles) is never
// served, whatever the request path; a file added to web/ must be added
// here (TestAppFilesListed checks).
var appFiles = []string{
	"web/app.css",
	"web/app.js",
	"web/base.css",
	"web/charts.js",
	"web/dashboard.html",
	"web/dashboard.js",
	"web/dist/assets.js",
	"web/go-worker.js",
	"web/go.js",
	"web/i18n/de.json",
	"web/i18n/en.json",
	"web/icons/icon-192.png",
	"web/icons/icon-512.png",
	"web/icons/icon-maskable-512.png",
	"web/icons/icon.svg",
	"web/manifest.webmanifest",
	"web/pages-i18n.js",
	"web/pages.css",
	"web/poster.html",
	"web/poster.js",
	"web/sw.js",
}

// webHandler serves the app from the directory root: index.html at /, the
// service worker at /sw.js (so that its scope is the whole app) and
// appFiles under /web/. Each route is one exact path, so no request path
// (encoded dots or slashes included) names another file, and there are no
// directory listings. The files under web/ are read through an [os.Root],
// so a symbolic link cannot lead out of web/ either.
func webHandler(root, csp string) (http.Handler, error) {
	top, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("dev: --web-root: %w", err)
	}
	web, err := os.OpenRoot(filepath.Join(root, "web"))
	if err != nil {
		return nil, fmt.Errorf("dev: --web-root: %w", err)
	}
	mux := http.NewServeMux()
	page := func(fsys *os.Root, name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", csp)
			w.Header().Set("Cache-Control", "no-cache")
			serveRootFile(w, r, fsys, name)
		}
	}
	mux.HandleFunc("GET /{$}", page(top, "index.html"))
	mux.HandleFunc("GET /sw.js", page(web, "sw.js"))
	for _, name := range appFiles {
		rel := strings.TrimPrefix(name, "web/")
		mux.HandleFunc("GET /"+name, func(w http.ResponseWriter, r *http.Request) {
			if name == "web/go-worker.js" {
				// A worker's policy is the one its script is served with.
				w.Header().Set("Content-Security-Policy", csp)
			}
			w.Header().Set("Cache-Control", "no-cache")
			serveRootFile(w, r, web, rel)
		})
	}
	mux.HandleFunc("GET /web/dist/{name}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if !distName.MatchString(name) {
			http.NotFound(w, r)
			return
		}
		serveDist(w, r, web, name)
	})
	return mux, nil
}

// serveDist serves the built file dist/name of web with an immutable cache
// lifetime, as its brotli or gzip encoding (name.br, name.gz, written by
// "make wasm") when the request accepts it.
func serveDist(w http.ResponseWriter, r *http.Request, web *os.Root, name string) {
	h := w.Header()
	h.Set("Vary", "Accept-Encoding")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	switch path.Ext(name) {
	case ".wasm":
		h.Set("Content-Type", "application/wasm")
	case ".js":
		h.Set("Content-Type", "text/javascript; charset=utf-8")
	}
	file := "dist/" + name
	for _, enc := range []struct{ token, suffix string }{{"br", ".br"}, {"gzip", ".gz"}} {
		if !acceptsEncoding(r, enc.token) {
			continue
		}
		if fi, err := web.Lstat(file + enc.suffix); err == nil && fi.Mode().IsRegular() {
			h.Set("Content-Encoding", enc.token)
			serveRootFile(w, r, web, file+enc.suffix)
			return
		}
	}
	serveRootFile(w, r, web, file)
}

// acceptsEncoding reports whether the request's Accept-Encoding lists the
// content coding token with a non-zero quality.
func acceptsEncoding(r *http.Request, token string) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if !strings.EqualFold(strings.TrimSpace(name), token) {
				continue
			}
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			if q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000" {
				return false
			}
			return true
		}
	}
	return false
}

// serveRootFile serves the regular file name of root, or 404.
func serveRootFile(w http.ResponseWriter, r *http.Request, root *os.Root, name string) {
	// Lstat: the entry itself must be a file; a link, even one that stays
	// inside root, is not served.
	if fi, err := root.Lstat(name); err != nil || !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	f, err := root.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	http.ServeContent(w, r, name, fi.ModTime(), f)
}

// checkOutsideWeb refuses a deployment directory inside the served web/
// directory: keys and stores stay outside what the web server reads.
func checkOutsideWeb(dir, root string) error {
	d, err1 := filepath.Abs(dir)
	w, err2 := filepath.Abs(filepath.Join(root, "web"))
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	if rel, err := filepath.Rel(w, d); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("dev: the deployment directory %s is inside the web root's web/ directory\nsafetrace: hint: keep keys and stores outside web/ (--dir)", dir)
	}
	return nil
}

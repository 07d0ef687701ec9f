package cli

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// appFiles are the only files of the web root that "safetrace dev" serves:
// the visitor app, the dashboard and poster pages, and the client that
// "make wasm" builds into web/dist. Everything else under the web root (the
// deployment directory with its keys and stores, sources, dotfiles) is never
// served, whatever the request path; a file added to web/ must be added
// here (TestAppFilesListed checks).
var appFiles = []string{
	"web/app.css",
	"web/app.js",
	"web/charts.js",
	"web/dashboard.html",
	"web/dashboard.js",
	"web/dist/safetrace.wasm",
	"web/dist/wasm_exec.js",
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
			serveRootFile(w, r, web, rel)
		})
	}
	return mux, nil
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

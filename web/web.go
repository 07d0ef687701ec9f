// Package web holds the browser pages: the visitor app, the venue owner
// page and the dashboard, served as files. From Go it gives only the style
// the health authority's desk shares with them.
package web

import _ "embed"

// BaseCSS is base.css, the style the venue owner page, the dashboard and
// the desk share.
//
//go:embed base.css
var BaseCSS []byte

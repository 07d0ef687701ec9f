// Package qr implements SafeTrace's venue QR codes: the payload a poster
// carries, the printable posters themselves (PDF, PNG, SVG) and a robust
// decoder for camera frames and image files. The venue code itself, its
// payload and URL, the symbol encoder and the frame decoder are in package
// qr/core, which a scanning client (the visitor app's WebAssembly) imports
// without this package's poster renderers; the names below without a link
// are core's.
//
// A venue is described by a core.Venue. Its 32-byte Secret is the place of every
// venue record the visitor's browser derives (see the design, section 3): only
// people who saw the poster can form those records, so a check-in cannot be
// forged by someone who was never there. Everything else in the payload (name,
// address, room, category, transmission risk, default stay, validity period)
// is shown to the visitor or used as a default by the app.
//
// The payload travels in the fragment of a URL,
//
//	https://app.example/#v1.<base64url payload>
//
// so that a web server serving the app never receives it. Venue.URL builds
// such a URL and core.ParseURL reads one back; Venue.MarshalBinary and
// core.ParsePayload work on the binary payload itself. Decoding is strict: an
// accepted payload always encodes back to exactly the same bytes.
//
// Posters are written by [WritePDF], [WritePNG] and [WriteSVG] to any
// [io.Writer], so the same code serves the command line and the browser app
// (the package compiles for GOOS=js GOARCH=wasm and uses no cgo).
// [ReadBatch] reads a CSV of venues for batch printing.
//
// core.DecodeImage, core.DecodeRGBA and [DecodeReader] read any QR code, not only
// SafeTrace's, and return its text; they retry with several binarizers and
// image transformations before giving up.
//
// Warning: anyone holding a poster (or a photo of it) holds the venue secret.
// The secret makes records unforgeable by people who never saw the poster, not
// by people who did; venue owners who need to revoke a poster print a new one
// with a fresh secret.
package qr

// Package core is the part of package qr that a scanning client needs: the
// venue code (Venue, its binary payload and its URL), the categories, the
// QR symbol encoder and the decoder (DecodeImage, DecodeRGBA and the camera
// loop's Scanner). It has none of qr's poster renderers, so the visitor
// app's WebAssembly links no PDF writer and no fonts. Package qr re-exports
// every name here; see its documentation and docs/qr.md.
package core

// Package trace derives SafeTrace's records and evaluates the risk rule in
// the clear (design, section 3; byte-level details in docs/trace.md).
//
// A record is a key, the SHA-512 hash of a domain-separated encoding of a
// (kind, place, time bucket), with the minutes spent there and, in a positive
// report, a transmission-risk weight. The browser derives records with
// [VenueRecords] (check-ins at a venue whose poster it scanned),
// [GPSRecords] (geohash cells of a location history), [EncounterRecord] and
// [ImportBLELog] (other people's daily ephemeral IDs, from their personal QR
// code, [ParseEncounterCode], or from a native app's Bluetooth log), and
// [PositiveReport] when its user tests positive. The 64 bytes of a key are
// mapped to a ristretto255 element, and shared among the parties, elsewhere.
//
// [Oracle] computes every user's exposure score from all uploads in the
// clear. The parties compute the same function on secret-shared records
// without seeing them; Oracle is the reference their epoch is tested
// against, and [Synthesize] builds deterministic populations for such tests.
// All parameters come from the deployment manifest as [Params].
//
// The package uses only the standard library and compiles for GOOS=js
// GOARCH=wasm, where the browser client runs it.
//
// Warning: a GPS key is a hash of a geohash cell and a time, which anyone can
// enumerate: whoever holds a GPS key learns where and when it was made. Venue
// and encounter keys depend on a 32-byte venue secret or a 16-byte ephemeral
// ID and resist such guessing, but still link the people who share them. Keys
// must therefore never leave the browser in the clear: the parties see them
// only secret-shared, and Oracle is for tests and simulations, never for real
// uploads.
package trace

//go:build !unix

package store

import "os"

// lockFile is a no-op where flock(2) is missing: one process per key file.
func lockFile(f *os.File) (unlock func(), err error) { return func() {}, nil }

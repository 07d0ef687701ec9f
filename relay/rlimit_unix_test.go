//go:build unix

package relay_test

import (
	"syscall"
	"testing"
)

// raiseFileLimit lifts the soft limit on open files to the hard limit: the
// benchmark holds both ends of every connection.
func raiseFileLimit(tb testing.TB) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		tb.Logf("getrlimit: %v", err)
		return
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			tb.Logf("setrlimit: %v", err)
		}
	}
	if l.Cur < 4096 {
		tb.Skipf("open file limit %d is too low for 1,000 connections", l.Cur)
	}
}

package desk

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestAttackLockoutFlood: wrong passwords for more made-up names than the
// lock-out tracks do not switch off the lock-out of a staff account, and
// long made-up names are kept short.
func TestAttackLockoutFlood(t *testing.T) {
	var l lockout
	now := time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC)
	for i := range maxTracked + 100 {
		l.fail(fmt.Sprintf("guess%d", i), false, now)
	}
	if len(l.m) != maxTracked {
		t.Fatalf("%d names tracked, want the table full (%d)", len(l.m), maxTracked)
	}
	if k := l.key(strings.Repeat("x", 60<<10)); len(k) > 65 {
		t.Fatalf("a key of %d bytes", len(k))
	}
	locked := false
	for range MaxFailures {
		locked = l.fail("alice", true, now)
	}
	if ok, _ := l.locked("alice", now); !locked || !ok {
		t.Fatalf("alice after %d wrong passwords in a flood of names: locked %v, %v", MaxFailures, locked, ok)
	}
}

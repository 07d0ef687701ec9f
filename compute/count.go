package compute

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// BelowK is how a public summary shows a count below the k-anonymity
// threshold.
const BelowK = "< k"

// Count is a count of people, reports or records in a public summary (the
// RunStatus text, GET /v1/epochs, /metrics, the dashboard): design section
// 2's rule that everyone learns a count only when it is at least the
// manifest's k_anonymity. A Count below k does not hold its value at all,
// so no formatting, logging or encoding can show it: it marshals to the
// JSON string "< k" and prints as "< k"; a released one marshals to its
// number. The zero Count is below k.
type Count struct {
	n        int
	released bool
}

// KCount returns n as a public count under threshold k: released if
// n >= k, else below k.
func KCount(n, k int) Count {
	if n < k || n < 0 {
		return Count{}
	}
	return Count{n: n, released: true}
}

// Value returns the count and true if it is released, 0 and false if it is
// below k.
func (c Count) Value() (int, bool) { return c.n, c.released }

// IsZero reports whether c is below k (for omitzero: a count below k is
// left out where a field is optional).
func (c Count) IsZero() bool { return !c.released }

// String returns the number or "< k".
func (c Count) String() string {
	if !c.released {
		return BelowK
	}
	return strconv.Itoa(c.n)
}

// Format prints c as String does for every verb, so that a count below k
// never appears, even with %d or %+v.
func (c Count) Format(f fmt.State, verb rune) { fmt.Fprint(f, c.String()) }

// MarshalJSON returns the number or the string "< k".
func (c Count) MarshalJSON() ([]byte, error) {
	if !c.released {
		return []byte(`"` + BelowK + `"`), nil
	}
	return strconv.AppendInt(nil, int64(c.n), 10), nil
}

// UnmarshalJSON accepts a non-negative number or the string "< k".
func (c *Count) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(b, []byte(`"`)) {
		var s string
		if err := json.Unmarshal(b, &s); err != nil || s != BelowK {
			return fmt.Errorf("compute: count %s is neither a non-negative number nor %q", b, BelowK)
		}
		*c = Count{}
		return nil
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil || n < 0 {
		return fmt.Errorf("compute: count %s is neither a non-negative number nor %q", b, BelowK)
	}
	*c = Count{n: n, released: true}
	return nil
}

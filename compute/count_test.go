package compute

import (
	"encoding/json"
	"fmt"
	"testing"
)

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n, k int
		json string
	}{{0, 10, `"< k"`}, {9, 10, `"< k"`}, {10, 10, `10`}, {123, 10, `123`}, {-1, 0, `"< k"`}} {
		got := KCount(c.n, c.k)
		b, err := json.Marshal(struct{ C Count }{got})
		if err != nil {
			t.Fatal(err)
		}
		var back struct{ C Count }
		if err := json.Unmarshal(b, &back); err != nil || back.C != got {
			t.Errorf("%d/%d: %s decodes to %v (%v)", c.n, c.k, b, back.C, err)
		}
		enc, _ := got.MarshalJSON()
		if string(enc) != c.json {
			t.Errorf("KCount(%d, %d) marshals to %s, want %s", c.n, c.k, enc, c.json)
		}
		// No verb shows a count below k.
		want := c.json
		if want[0] == '"' {
			want = BelowK
		}
		for _, f := range []string{"%d", "%v", "%+v", "%#v", "%s", "%x"} {
			if s := fmt.Sprintf(f, got); s != want {
				t.Errorf("Sprintf(%q, KCount(%d, %d)) = %q, want %q", f, c.n, c.k, s, want)
			}
		}
	}
	for _, bad := range []string{`-1`, `"<k"`, `"5"`, `1.5`, `{}`} {
		var c Count
		if err := json.Unmarshal([]byte(bad), &c); err == nil {
			t.Errorf("%s accepted as %v", bad, c)
		}
	}
}

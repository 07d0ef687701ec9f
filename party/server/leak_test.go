package server_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/safetrace/safetrace/compute"
	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/wire"
)

// asRelay sends msg to party 1 the way the relay forwards it (an envelope
// handed to the party's handler) and returns the reply bytes the relay
// carries back, with the message the client opens from them.
func asRelay(t *testing.T, d *fabrictest.Deployment, msg func(rk [wire.KeySize]byte) wire.Message) ([]byte, wire.Message) {
	t.Helper()
	rk, err := wire.NewReplyKey()
	if err != nil {
		t.Fatal(err)
	}
	req, err := wire.Encode(msg(rk.Public()))
	if err != nil {
		t.Fatal(err)
	}
	env, err := wire.SealEnvelope(d.Manifest(), 1, req)
	if err != nil {
		t.Fatal(err)
	}
	reply := d.Servers[0].Handle(context.Background(), env)
	m, err := rk.OpenReply(d.Manifest().Hash(), 1, reply)
	if err != nil {
		t.Fatal(err)
	}
	return reply, m
}

// TestLeakReplySizes plays the relay: it records the size of every reply
// it carries back and tries to tell an accepted upload from a rejected one
// (bad code, bad day, used code), and a user without results from one with
// 14 days of results. Before replies were padded they were 169 B (receipt),
// 83-116 B (errors) and 54 to 639 B (results); now every one is the same
// size.
func TestLeakReplySizes(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	w := d.Manifest().Params.Window(time.Now())
	codes, err := authority.Issue(d.Authority, 2, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	upload := func(kind wire.Kind, code string, day uint32) func([wire.KeySize]byte) wire.Message {
		u := rawUpload(t, 3, 1, day)[0]
		u.Kind, u.Code = kind, code
		return func(rk [wire.KeySize]byte) wire.Message { u.ReplyKey = rk; return u }
	}
	var token [32]byte
	rand.Read(token[:])
	results := func(rk [wire.KeySize]byte) wire.Message {
		return &wire.ResultRequest{ReplyKey: rk, Token: token}
	}
	type seen struct {
		what string
		size int
	}
	var sizes []seen
	record := func(what string, reply []byte, m wire.Message, want wire.Type) {
		t.Helper()
		if m.Type() != want {
			t.Fatalf("%s: answered %T %+v, want a %v", what, m, m, want)
		}
		sizes = append(sizes, seen{what, len(reply)})
	}

	reply, m := asRelay(t, d, upload(wire.KindOrdinary, "", w.Today))
	record("accepted ordinary upload", reply, m, wire.TypeReceipt)
	reply, m = asRelay(t, d, upload(wire.KindPositive, codes[0], w.Today))
	record("accepted positive upload", reply, m, wire.TypeReceipt)
	reply, m = asRelay(t, d, upload(wire.KindPositive, "not-a-code", w.Today))
	record("upload with a bad code", reply, m, wire.TypeError)
	reply, m = asRelay(t, d, upload(wire.KindPositive, codes[0], w.Today))
	record("upload with a used code", reply, m, wire.TypeError)
	reply, m = asRelay(t, d, upload(wire.KindOrdinary, "", w.Today+5))
	record("upload of a future day", reply, m, wire.TypeError)
	reply, m = asRelay(t, d, upload(wire.KindOrdinary, "", w.Oldest-1))
	record("upload of an expired day", reply, m, wire.TypeError)

	reply, m = asRelay(t, d, results)
	if len(m.(*wire.ResultResponse).Results) != 0 {
		t.Fatal("a new token has results")
	}
	record("results: none", reply, m, wire.TypeResultResponse)
	rk, err := wire.GenerateResultKey()
	if err != nil {
		t.Fatal(err)
	}
	user := compute.UserKey{TokenHash: sha256.Sum256(token[:])}
	copy(user.ResultKey[:], rk.PublicKey())
	share := &wire.ResultShare{}
	rand.Read(share.ID[:])
	for i := range d.Manifest().Params.RetentionDays {
		share.Days = append(share.Days, w.Oldest+uint32(i))
		share.Values = append(share.Values, field.ScalarField{}.FromUint64(1))
	}
	if _, err := d.Servers[0].PutResult(user, share); err != nil {
		t.Fatal(err)
	}
	reply, m = asRelay(t, d, results)
	if rs := m.(*wire.ResultResponse).Results; len(rs) != 1 {
		t.Fatalf("%d results, want 1", len(rs))
	}
	record("results: every day of the window", reply, m, wire.TypeResultResponse)

	if d.Manifest().Params.RetentionDays < 14 {
		t.Fatalf("the test deployment keeps %d days; the test wants 14 or more", d.Manifest().Params.RetentionDays)
	}
	for _, s := range sizes {
		t.Logf("%-34s %d B", s.what, s.size)
		if s.size != sizes[0].size {
			t.Errorf("the relay tells %q (%d B) from %q (%d B) by size", s.what, s.size, sizes[0].what, sizes[0].size)
		}
	}
}

// countFields are the summary fields that count records, reports or users.
var countFields = map[string]bool{"records": true, "positive_records": true, "held": true, "reports": true,
	"rejected_reports": true, "users": true, "user_days": true, "unsealable": true, "uploads": true, "rejected": true}

// checkPublicCounts fails for every count in the JSON value v (a summary
// or a list of them) that is a number below k, and adds the counts it saw
// to seen by field name.
func checkPublicCounts(t *testing.T, where string, v any, k int, seen map[string][]string) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		for name, x := range v {
			if countFields[name] {
				seen[name] = append(seen[name], fmt.Sprint(x))
				switch x := x.(type) {
				case float64:
					if int(x) < k {
						t.Errorf("%s: %s = %v, an exact count below k = %d", where, name, x, k)
					}
				case string:
					if x != compute.BelowK {
						t.Errorf("%s: %s = %q", where, name, x)
					}
				default:
					t.Errorf("%s: %s = %v (%T)", where, name, x, x)
				}
				continue
			}
			checkPublicCounts(t, where, x, k, seen)
		}
	case []any:
		for _, x := range v {
			checkPublicCounts(t, where, x, k, seen)
		}
	}
}

// TestLeakSmallCounts plays an outsider after an epoch over three users and
// one positive report: it asks a party for the run's status (an
// unauthenticated StatusRequest through the relay) and reads GET /v1/epochs,
// and finds no count below k: the users (3) and reports (1) show as "< k".
func TestLeakSmallCounts(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	k := d.Manifest().Params.KAnonymity
	if k <= 3 {
		t.Fatalf("k = %d; the test needs k > 3", k)
	}
	vs, _ := honestStory(t, d)
	runEpoch(t, d, vs[0].c)
	id := lastRunID(t, d)

	_, m := asRelay(t, d, func(rk [wire.KeySize]byte) wire.Message {
		return &wire.StatusRequest{ReplyKey: rk, Name: "exposure", RunID: id}
	})
	st, ok := m.(*wire.RunStatus)
	if !ok || st.State != wire.RunDone {
		t.Fatalf("status request answered %T %+v", m, m)
	}
	var status any
	if err := json.Unmarshal([]byte(st.Text), &status); err != nil {
		t.Fatalf("status text %q: %v", st.Text, err)
	}
	seen := map[string][]string{}
	checkPublicCounts(t, "status reply", status, k, seen)

	rec := httptest.NewRecorder()
	d.Servers[0].HTTPHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/v1/epochs", nil))
	var epochs any
	if err := json.Unmarshal(rec.Body.Bytes(), &epochs); err != nil {
		t.Fatalf("/v1/epochs: %v: %s", err, rec.Body.String())
	}
	checkPublicCounts(t, "/v1/epochs", epochs, k, seen)
	for _, name := range []string{"users", "reports"} {
		if len(seen[name]) < 2 {
			t.Errorf("%s: seen %v, want it in the status reply and /v1/epochs", name, seen[name])
		}
		for _, v := range seen[name] {
			if v != compute.BelowK {
				t.Errorf("%s shown as %s", name, v)
			}
		}
	}
	t.Logf("status text: %s", st.Text)
}

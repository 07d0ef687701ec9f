package wire

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func runMessages() map[string]Message {
	q := &RunRequest{Name: "exposure", Issued: 1795000000, Signer: 2}
	q.RunID[0], q.ReplyKey[1] = 7, 9
	return map[string]Message{
		"run_request":    q,
		"status_request": &StatusRequest{Name: "region-map", RunID: q.RunID},
		"run_status":     &RunStatus{RunID: q.RunID, State: RunDone, Text: `{"records":3}`},
	}
}

func TestRunMessagesRoundTrip(t *testing.T) {
	for name, m := range runMessages() {
		b, err := Encode(m)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if out, _ := Encode(d); !bytes.Equal(out, b) {
			t.Errorf("%s: round trip differs", name)
		}
		// Every truncation and one trailing byte fail.
		for i := 0; i < len(b); i++ {
			if _, err := Decode(b[:i]); err == nil {
				t.Errorf("%s: %d of %d bytes accepted", name, i, len(b))
			}
		}
		if _, err := Decode(append(b, 0)); err == nil {
			t.Errorf("%s: trailing byte accepted", name)
		}
	}
}

func TestRunMessagesInvalid(t *testing.T) {
	for _, m := range []Message{
		// Names: empty, too long, not UTF-8.
		&RunRequest{Name: "", Signer: 1},
		&StatusRequest{Name: string(make([]byte, MaxNameLen+1))},
		&StatusRequest{Name: "\xff"},
		// Signer 0.
		&RunRequest{Name: "exposure"},
		// States out of range.
		&RunStatus{State: 0},
		&RunStatus{State: RunPending + 1},
	} {
		if _, err := Encode(m); err == nil {
			t.Errorf("%T %+v encoded", m, m)
		}
	}
	b, _ := Encode(&RunStatus{State: RunDone})
	b[2+IDSize] = 9
	if _, err := Decode(b); err == nil {
		t.Error("run status with state 9 decoded")
	}
}

func TestRunRequestSignature(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	var h [HashSize]byte
	q := runMessages()["run_request"].(*RunRequest)
	q.Sign(key, h)
	if !q.Verify(pub, h) {
		t.Fatal("signature does not verify")
	}
	for _, change := range []func(*RunRequest){
		func(q *RunRequest) { q.Name = "region-map" },
		func(q *RunRequest) { q.RunID[0]++ },
		func(q *RunRequest) { q.Issued++ },
	} {
		c := *q
		change(&c)
		if c.Verify(pub, h) {
			t.Errorf("changed request %+v verifies", c)
		}
	}
	h[0] = 1
	if q.Verify(pub, h) {
		t.Error("signature verifies under another manifest")
	}
}

// TestRunCorpus writes the run messages into FuzzDecode's seed corpus when
// WIRE_WRITE_CORPUS is set, and otherwise checks they are there.
func TestRunCorpus(t *testing.T) {
	for name, m := range runMessages() {
		b, _ := Encode(m)
		path := filepath.Join("testdata", "fuzz", "FuzzDecode", name)
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if os.Getenv("WIRE_WRITE_CORPUS") != "" {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(path); err != nil || string(got) != want {
			t.Errorf("seed corpus file %s is missing or stale (run with WIRE_WRITE_CORPUS=1)", path)
		}
	}
}

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
	q := &RunRequest{Name: "exposure", Issued: 1795000000, Signatures: []RunSignature{{Signer: 2}, {Signer: 3}}}
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
		&RunRequest{Name: "", Signatures: []RunSignature{{Signer: 1}}},
		&StatusRequest{Name: string(make([]byte, MaxNameLen+1))},
		&StatusRequest{Name: "\xff"},
		// No signature, signer 0, too many signatures.
		&RunRequest{Name: "exposure"},
		&RunRequest{Name: "exposure", Signatures: []RunSignature{{Signer: 0}}},
		&RunRequest{Name: "exposure", Signatures: make([]RunSignature, MaxRunSignatures+1)},
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
	pub1, key1, _ := ed25519.GenerateKey(nil)
	pub2, key2, _ := ed25519.GenerateKey(nil)
	keys := func(p int) (ed25519.PublicKey, bool) {
		switch p {
		case 1:
			return pub1, true
		case 2:
			return pub2, true
		}
		return nil, false
	}
	var h [HashSize]byte
	q := &RunRequest{Name: "exposure", Issued: 1795000000}
	q.Sign(1, key1, h)
	q.Sign(2, key2, h)
	q.Sign(2, key2, h) // a repeated signer counts once
	q.Sign(3, key1, h) // a party the keys do not know
	q.Sign(1, key2, h) // party 1 with party 2's key: another valid one of 1 is there
	if got := q.Signers(keys, h); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("signers %v, want [1 2]", got)
	}
	for _, change := range []func(*RunRequest){
		func(q *RunRequest) { q.Name = "region-map" },
		func(q *RunRequest) { q.RunID[0]++ },
		func(q *RunRequest) { q.Issued++ },
	} {
		c := *q
		change(&c)
		if got := c.Signers(keys, h); len(got) != 0 {
			t.Errorf("changed request %+v verifies for %v", c, got)
		}
	}
	h[0] = 1
	if got := q.Signers(keys, h); len(got) != 0 {
		t.Errorf("signatures verify under another manifest: %v", got)
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

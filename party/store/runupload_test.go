package store

import (
	"errors"
	"testing"
)

func TestPutRunInput(t *testing.T) {
	s, _ := openTemp(t)
	inputs := func(run string) []string {
		var got []string
		s.ForEachRunInput(run, func(b []byte) error { got = append(got, string(b)); return nil })
		return got
	}
	code := &CodeUse{ID: [16]byte{7}, Expires: t0.AddDate(0, 0, 1)}
	u := &Upload{ID: []byte("u1"), ContentHash: [32]byte{1}, Code: code}
	rc, err := s.PutRunInput(u, 8, "run", []byte("a"), t0)
	if err != nil || rc.Records != 8 {
		t.Fatalf("put: %+v, %v", rc, err)
	}
	// A retry returns the first receipt and stores nothing.
	rc2, err := s.PutRunInput(u, 8, "run", []byte("a"), t0.Add(1))
	if err != nil || rc2.Stored != rc.Stored {
		t.Fatalf("retry: %+v, %v", rc2, err)
	}
	// Other content under the same id; the same code in another upload.
	if _, err := s.PutRunInput(&Upload{ID: []byte("u1"), ContentHash: [32]byte{2}}, 8, "run", []byte("b"), t0); !errors.Is(err, ErrUploadReused) {
		t.Fatalf("reused id: %v", err)
	}
	if _, err := s.PutRunInput(&Upload{ID: []byte("u2"), ContentHash: [32]byte{3}, Code: code}, 8, "run", []byte("c"), t0); !errors.Is(err, ErrCodeUsed) {
		t.Fatalf("reused code: %v", err)
	}
	if _, ok, _ := s.Upload([]byte("u2")); ok {
		t.Fatal("a refused upload left its idempotency entry")
	}
	if got := inputs("run"); len(got) != 1 || got[0] != "a" {
		t.Fatalf("inputs %q", got)
	}
	if ok, _ := s.RunExists("run"); !ok {
		t.Fatal("run does not exist")
	}
	if err := s.DeleteRun("run"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.RunExists("run"); ok || len(inputs("run")) != 0 {
		t.Fatal("run not deleted")
	}
}

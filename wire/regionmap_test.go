package wire

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safetrace/safetrace/mpc/field"
)

func sampleRegionUpload(code string) *RegionUpload {
	u := &RegionUpload{Day: 20000, Code: code, Presence: []field.M61{1, 2, field.P61 - 1}}
	u.ReplyKey[0], u.ID[0] = 7, 9
	if code != "" {
		u.Positive = 5
	}
	return u
}

func sampleRegionMap() *RegionMapResponse {
	return &RegionMapResponse{Day: 20000, Uploads: 100, Rejected: 2, K: 10,
		Released: []RegionCount{{0, 12}, {3, 40}}}
}

func TestRegionRoundTrip(t *testing.T) {
	for _, m := range []Message{sampleRegionUpload(""), sampleRegionUpload("CODE"),
		&RegionMapRequest{Day: 3}, sampleRegionMap(), &RegionMapResponse{}} {
		b, err := m.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("%v: %v", m.Type(), err)
		}
		b2, _ := got.AppendBinary(nil)
		if !bytes.Equal(b, b2) {
			t.Fatalf("%v: round trip differs", m.Type())
		}
	}
	u := sampleRegionUpload("CODE")
	b, _ := u.AppendBinary(nil)
	_, h1, _ := DecodeRegionUpload(b)
	u.ReplyKey[1] = 1 // a retry with another reply key
	h2, _ := u.ContentHash()
	if h1 != h2 {
		t.Fatal("content hash depends on the reply key")
	}
}

func TestRegionInvalid(t *testing.T) {
	good, _ := sampleRegionUpload("CODE").AppendBinary(nil)
	hdr := 2 + KeySize + IDSize + 4 // up to the code length
	cases := []struct {
		name string
		b    []byte
	}{
		// framing
		{"empty", nil},
		{"truncated", good[:len(good)-1]},
		{"trailing", append(append([]byte(nil), good...), 0)},
		{"wrong type", append([]byte{Version, byte(TypeUpload)}, good[2:]...)},
		// counts
		{"zero regions", func() []byte {
			b, _ := sampleRegionUpload("").AppendBinary(nil)
			b = b[:hdr+2+2]
			b[hdr+2], b[hdr+3] = 0, 0
			return b
		}()},
		{"too many regions", func() []byte {
			b := append([]byte(nil), good[:hdr+2+4+2]...)
			b[hdr+6], b[hdr+7] = 0xff, 0xff
			b = append(b, make([]byte, 8*0xffff+8)...)
			return b
		}()},
		// shares
		{"unreduced share", func() []byte {
			b := append([]byte(nil), good...)
			copy(b[hdr+2+4+2:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
			return b
		}()},
		{"positive share without code", func() []byte {
			b, _ := sampleRegionUpload("").AppendBinary(nil)
			return append(b, make([]byte, 8)...)
		}()},
	}
	for _, c := range cases {
		if _, _, err := DecodeRegionUpload(c.b); err == nil || !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	mp, _ := sampleRegionMap().AppendBinary(nil)
	for name, b := range map[string][]byte{
		"regions not increasing": func() []byte {
			m := sampleRegionMap()
			m.Released[1].Region = 0
			b, _ := (&RegionMapResponse{}).AppendBinary(nil)
			b = b[:2]
			for _, v := range []uint32{m.Day, m.Uploads, m.Rejected, m.K} {
				b = append(b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
			}
			return append(b, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2)
		}(),
		"truncated map":  mp[:len(mp)-1],
		"trailing map":   append(append([]byte(nil), mp...), 1),
		"empty map data": {Version, byte(TypeRegionMapResponse), 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	} {
		if _, err := DecodeRegionMapResponse(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := DecodeRegionMapRequest([]byte{Version, byte(TypeRegionMapRequest)}); err == nil {
		t.Error("short map request accepted")
	}
}

func FuzzDecodeRegionUpload(f *testing.F) {
	for _, code := range []string{"", "CODE"} {
		b, _ := sampleRegionUpload(code).AppendBinary(nil)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		u, h, err := DecodeRegionUpload(b)
		if err != nil {
			return
		}
		out, err := u.AppendBinary(nil)
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("round trip: %v", err)
		}
		if h2, _ := u.ContentHash(); h2 != h {
			t.Fatal("content hash differs")
		}
	})
}

func FuzzDecodeRegionMap(f *testing.F) {
	b, _ := sampleRegionMap().AppendBinary(nil)
	f.Add(b)
	q, _ := (&RegionMapRequest{Day: 1}).AppendBinary(nil)
	f.Add(q)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, dec := range []func([]byte) (Message, error){
			func(b []byte) (Message, error) { return DecodeRegionMapResponse(b) },
			func(b []byte) (Message, error) { return DecodeRegionMapRequest(b) },
		} {
			m, err := dec(b)
			if err != nil {
				continue
			}
			out, err := m.AppendBinary(nil)
			if err != nil || !bytes.Equal(out, b) {
				t.Fatalf("%v round trip: %v", m.Type(), err)
			}
		}
	})
}

// TestWriteRegionCorpus writes the seed corpora when SAFETRACE_WRITE_CORPUS
// is set (they are checked in under testdata/fuzz).
func TestWriteRegionCorpus(t *testing.T) {
	if os.Getenv("SAFETRACE_WRITE_CORPUS") == "" {
		t.Skip("set SAFETRACE_WRITE_CORPUS=1 to rewrite testdata/fuzz")
	}
	write := func(target, name string, b []byte) {
		dir := filepath.Join("testdata", "fuzz", target)
		os.MkdirAll(dir, 0o755)
		var sb strings.Builder
		sb.WriteString("go test fuzz v1\n[]byte(")
		sb.WriteString(fmt.Sprintf("%q", b))
		sb.WriteString(")\n")
		if err := os.WriteFile(filepath.Join(dir, name), []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := sampleRegionUpload("").AppendBinary(nil)
	write("FuzzDecodeRegionUpload", "ordinary", b)
	b, _ = sampleRegionUpload("CODE").AppendBinary(nil)
	write("FuzzDecodeRegionUpload", "coded", b)
	write("FuzzDecodeRegionUpload", "truncated", b[:len(b)-3])
	b, _ = sampleRegionMap().AppendBinary(nil)
	write("FuzzDecodeRegionMap", "map", b)
	b, _ = (&RegionMapResponse{}).AppendBinary(nil)
	write("FuzzDecodeRegionMap", "none", b)
	b, _ = (&RegionMapRequest{Day: 20000}).AppendBinary(nil)
	write("FuzzDecodeRegionMap", "request", b)
}

package regionmap

import (
	"bytes"
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/safetrace/safetrace/mpc"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/transport"
)

func TestAgree(t *testing.T) {
	id := func(b byte) ID { return ID{b} }
	// Upload 3 of day 10 is missing at party 2 (incomplete); day 12 is
	// known to party 3 only; party 1 lists upload 1 twice.
	held := [][]Batch{
		{{Day: 10, IDs: []ID{id(2), id(1), id(3), id(1)}}, {Day: 11, IDs: []ID{id(9)}}},
		{{Day: 10, IDs: []ID{id(1), id(2)}}, {Day: 11, IDs: []ID{id(9)}}},
		{{Day: 12, IDs: []ID{id(5)}}, {Day: 10, IDs: []ID{id(3), id(2), id(1)}}, {Day: 11, IDs: []ID{id(9)}}},
	}
	want := []Batch{{Day: 10, IDs: []ID{id(1), id(2)}}, {Day: 11, IDs: []ID{id(9)}}, {Day: 12, IDs: []ID{}}}
	conns := transport.NewLocal(3)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	got := make([][]Batch, 3)
	errs := make([]error, 3)
	for i := range 3 {
		wg.Go(func() {
			p, err := mpc.New(ctx, field.M61Field{}, 1, conns[i])
			if err == nil {
				got[i], err = Agree(ctx, p, held[i])
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i := range 3 {
		if errs[i] != nil || !reflect.DeepEqual(got[i], want) {
			t.Errorf("party %d: %+v, %v; want %+v", i+1, got[i], errs[i], want)
		}
	}
}

func FuzzDecodeBatches(f *testing.F) {
	f.Add(encodeBatches([]Batch{{Day: 1, IDs: []ID{{1}, {2}}}, {Day: 2, IDs: []ID{}}}))
	f.Add(encodeBatches(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		bs, err := decodeBatches(b)
		if err != nil {
			return
		}
		if !bytes.Equal(encodeBatches(bs), b) {
			t.Fatal("round trip differs")
		}
	})
}

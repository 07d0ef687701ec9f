package compute

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/safetrace/safetrace/mpc"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/transport"
	"github.com/safetrace/safetrace/party/store"
	"github.com/safetrace/safetrace/wire"
)

func id(b byte) ID { return ID{b} }

// agreeAll runs Agree at three in-process parties.
func agreeAll(t *testing.T, held [][]ID) (common, union [][]ID) {
	t.Helper()
	conns := transport.NewLocal(len(held))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	common, union = make([][]ID, len(held)), make([][]ID, len(held))
	errs := make([]error, len(held))
	var wg sync.WaitGroup
	for i := range held {
		wg.Go(func() {
			p, err := mpc.New(ctx, field.ScalarField{}, 1, conns[i])
			if err == nil {
				common[i], union[i], err = Agree(ctx, p, held[i])
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("party %d: %v", i+1, err)
		}
	}
	return common, union
}

func TestAgree(t *testing.T) {
	// Record 3 is missing at party 2 (its upload was incomplete); record 5
	// is known to party 3 only.
	held := [][]ID{{id(1), id(2), id(3)}, {id(1), id(2)}, {id(1), id(2), id(3), id(5)}}
	common, union := agreeAll(t, held)
	for i := range held {
		if !reflect.DeepEqual(common[i], []ID{id(1), id(2)}) || !reflect.DeepEqual(union[i], []ID{id(1), id(2), id(3), id(5)}) {
			t.Errorf("party %d: common %v, union %v", i+1, common[i], union[i])
		}
	}
	// The same sets everywhere: one round of digests, nothing dropped.
	same := []ID{id(4), id(7)}
	common, _ = agreeAll(t, [][]ID{same, same, same})
	for i := range common {
		if !reflect.DeepEqual(common[i], same) {
			t.Errorf("party %d: %v", i+1, common[i])
		}
	}
}

func TestAgreeRefusesUnsorted(t *testing.T) {
	conns := transport.NewLocal(1)
	p, err := mpc.New(context.Background(), field.ScalarField{}, 0, conns[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Agree(context.Background(), p, []ID{id(2), id(1)}); err == nil {
		t.Fatal("unsorted ids were agreed on")
	}
}

// TestRecordIDCoversPublicFields: two records that differ in any public
// field get different agreement ids, so parties told different fields for
// one record drop it.
func TestRecordIDCoversPublicFields(t *testing.T) {
	base := store.Record{UploadID: []byte("upload"), ResultKey: []byte("user"), Kind: wire.KindOrdinary}
	base.Day, base.ID = 20000, [wire.IDSize]byte{'r'}
	seen := map[ID]string{RecordID(&base): "base"}
	for name, change := range map[string]func(r *store.Record){
		"day":     func(r *store.Record) { r.Day++ },
		"id":      func(r *store.Record) { r.ID[0] = 's' },
		"upload":  func(r *store.Record) { r.UploadID = []byte("uploae") },
		"user":    func(r *store.Record) { r.ResultKey = []byte("usef") },
		"kind":    func(r *store.Record) { r.Kind = wire.KindPositive },
		"shifted": func(r *store.Record) { r.UploadID, r.ResultKey = []byte("uploadu"), []byte("ser") },
	} {
		r := base
		change(&r)
		h := RecordID(&r)
		if other, ok := seen[h]; ok {
			t.Errorf("%s: same id as %s", name, other)
		}
		seen[h] = name
	}
}

package regionjob_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safetrace/safetrace/client"
	"github.com/safetrace/safetrace/client/operator"
	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/deploy/manifest"
	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
	"github.com/safetrace/safetrace/mpc"
	"github.com/safetrace/safetrace/mpc/field"
	"github.com/safetrace/safetrace/mpc/transport"
	"github.com/safetrace/safetrace/regionmap"
	"github.com/safetrace/safetrace/regionmap/regionjob"
	"github.com/safetrace/safetrace/wire"
	"github.com/safetrace/safetrace/wire/record"
)

func wireCode(err error) wire.Code {
	var we *wire.Error
	if errors.As(err, &we) {
		return we.Code
	}
	return 0
}

// runAll runs the region map at every in-process party over an in-memory
// mesh (the runner brings up the TLS mesh in a deployment).
func runAll(t *testing.T, d *fabrictest.Deployment) [][]*wire.RegionMapResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n := len(d.Servers)
	conns := transport.NewLocal(n)
	out := make([][]*wire.RegionMapResponse, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, s := range d.Servers {
		wg.Go(func() {
			p, err := mpc.New(ctx, field.M61Field{}, d.Manifest().T, conns[i])
			if err != nil {
				errs[i] = err
				return
			}
			c, _ := s.Computation(manifest.ComputationRegionMap)
			out[i], errs[i] = c.(*regionjob.RegionMap).Release(ctx, s.Host(), p)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < n; i++ {
		if !reflect.DeepEqual(out[i], out[0]) {
			t.Fatalf("party %d released %+v, party 1 %+v", i+1, out[i], out[0])
		}
	}
	return out
}

func TestEndToEnd(t *testing.T) {
	d := fabrictest.Start(t, 3, 1)
	m := d.Manifest()
	regions, k := len(m.Params.Regions), m.Params.KAnonymity
	h := m.Hash()
	c, err := client.New(d.ManifestBytes, h[:], nil, nil, client.WithBackoff(20*time.Millisecond, 200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	day := uint32(record.DayOf(time.Now())) - 1
	days := regionmap.Synthetic(7, 36, regions, 0.7)
	// A malicious positive participant: a presence value of 2.
	days = append(days, regionmap.Day{Presence: make([]uint64, regions), Positive: 1, Coded: true})
	days[len(days)-1].Presence[0] = 2
	codes, err := authority.Issue(d.Authority, len(days)+1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for i, dd := range days {
		code := ""
		if dd.Coded {
			code = codes[i]
		}
		if _, err := c.UploadRegions(ctx, day, code, dd.Presence, dd.Positive); err != nil {
			t.Fatalf("upload %d: %v", i, err)
		}
	}
	// A code works once per day.
	first := 0
	for !days[first].Coded {
		first++
	}
	if _, err := c.UploadRegions(ctx, day, codes[first], days[0].Presence, 1); wireCode(err) != wire.CodeCodeUsed {
		t.Fatalf("code reused: %v", err)
	}
	// A forged code is refused.
	forger, _ := authority.GenerateKey("forger")
	forged, _ := authority.Issue(forger, 1, time.Hour)
	if _, err := c.UploadRegions(ctx, day, forged[0], days[0].Presence, 1); wireCode(err) != wire.CodeCodeInvalid {
		t.Fatalf("forged code: %v", err)
	}
	// A day outside the retention window is refused and stores nothing.
	old := day - uint32(m.Params.RetentionDays) - 1
	if _, err := c.UploadRegions(ctx, old, codes[len(days)], days[0].Presence, 1); wireCode(err) != wire.CodeBadDay {
		t.Fatalf("old day: %v", err)
	}
	for i, st := range d.Stores {
		if ok, _ := st.RunExists("region-map/in/" + record.Day(old).String()); ok {
			t.Errorf("party %d stored an upload it refused", i+1)
		}
	}
	// Today's uploads wait for tomorrow's run.
	if _, err := c.UploadRegions(ctx, day+1, "", days[1].Presence, 0); err != nil {
		t.Fatal(err)
	}

	if got, err := c.FetchRegionMap(ctx, 0); err != nil || got.Day != 0 {
		t.Fatalf("map before any run: %+v, %v", got, err)
	}
	out := runAll(t, d)
	if len(out[0]) != 1 {
		t.Fatalf("released %d maps, want 1", len(out[0]))
	}
	acc, rel := regionmap.Oracle(days, regions, k)
	want := &wire.RegionMapResponse{Day: day, Uploads: uint32(len(days)), K: uint32(k)}
	for _, a := range acc {
		if !a {
			want.Rejected++
		}
	}
	for _, r := range rel {
		want.Released = append(want.Released, wire.RegionCount{Region: uint16(r.Region), Count: uint32(r.Count)})
	}
	if len(want.Released) == 0 || len(want.Released) == regions || want.Rejected != 1 {
		t.Fatalf("test data: %+v", want)
	}
	if !reflect.DeepEqual(out[0][0], want) {
		t.Fatalf("released %+v, oracle %+v", out[0][0], want)
	}
	got, err := c.FetchRegionMap(ctx, 0)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("fetched %+v, %v; want %+v", got, err, want)
	}
	// The dashboard's view: GET /v1/regionmap names the released regions.
	rec := httptest.NewRecorder()
	d.Servers[1].HTTPHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/v1/regionmap", nil))
	var view struct {
		Regions []struct {
			Region string
			Count  uint32
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &view); err != nil || len(view.Regions) != len(want.Released) {
		t.Fatalf("GET /v1/regionmap: %d %s", rec.Code, rec.Body.String())
	}
	for i, r := range view.Regions {
		if w := want.Released[i]; r.Region != d.Manifest().Params.Regions[w.Region] || r.Count != w.Count {
			t.Errorf("GET /v1/regionmap region %d: %+v, want %+v", i, r, w)
		}
	}
	// Inputs deleted, today's kept; the day takes no more uploads.
	for i, st := range d.Stores {
		nIn := 0
		st.ForEachRunInput("region-map/in/"+record.Day(day).String(), func([]byte) error { nIn++; return nil })
		nToday := 0
		st.ForEachRunInput("region-map/in/"+record.Day(day+1).String(), func([]byte) error { nToday++; return nil })
		if nIn != 0 || nToday != 1 {
			t.Errorf("party %d holds %d inputs of the released day and %d of today", i+1, nIn, nToday)
		}
	}
	if _, err := c.UploadRegions(ctx, day, "", days[1].Presence, 0); wireCode(err) != wire.CodeBadDay {
		t.Fatalf("upload for a released day: %v", err)
	}
	// A second run releases nothing new.
	if out := runAll(t, d); len(out[0]) != 0 {
		t.Fatalf("second run released %+v", out[0])
	}
}

// TestEndToEndRunner goes the whole way with 5 parties (t = 2): uploads
// through the relay, a signed on-demand run through the runner over the
// TLS mesh, the public map fetched from every party.
func TestEndToEndRunner(t *testing.T) {
	d := fabrictest.Start(t, 5, 2)
	m := d.Manifest()
	regions, k := len(m.Params.Regions), m.Params.KAnonymity
	h := m.Hash()
	c, err := client.New(d.ManifestBytes, h[:], nil, nil, client.WithBackoff(20*time.Millisecond, 200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	day := uint32(record.DayOf(time.Now())) - 2
	days := regionmap.Synthetic(11, 30, regions, 0.8)
	days[4].Presence[2] = field.P61 - 1 // -1: left out
	days[4].Coded, days[4].Positive = true, 1
	codes, err := authority.Issue(d.Authority, len(days), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for i, dd := range days {
		code := ""
		if dd.Coded {
			code = codes[i]
		}
		if _, err := c.UploadRegions(ctx, day, code, dd.Presence, dd.Positive); err != nil {
			t.Fatalf("upload %d: %v", i, err)
		}
	}
	outs, err := operator.Run(ctx, c, "region-map", d.Quorum(), 50*time.Millisecond)
	if err != nil {
		t.Fatalf("run: %v %+v", err, outs)
	}
	for _, o := range outs {
		if !strings.Contains(o.Text, record.Day(day).String()) {
			t.Errorf("party %d summary %q", o.Party, o.Text)
		}
	}
	got, err := c.FetchRegionMap(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	acc, rel := regionmap.Oracle(days, regions, k)
	if acc[4] || got.Rejected != 1 || got.Uploads != uint32(len(days)) {
		t.Errorf("rejected %d of %d, oracle accepted[4] = %v", got.Rejected, got.Uploads, acc[4])
	}
	var want []wire.RegionCount
	for _, r := range rel {
		want = append(want, wire.RegionCount{Region: uint16(r.Region), Count: uint32(r.Count)})
	}
	if len(want) == 0 || !reflect.DeepEqual(got.Released, want) {
		t.Fatalf("released %+v, oracle %+v", got.Released, want)
	}
	for i, st := range d.Stores {
		if ok, _ := st.RunExists("region-map/in/" + record.Day(day).String()); ok {
			t.Errorf("party %d kept the inputs", i+1)
		}
	}
}

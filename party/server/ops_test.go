package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/safetrace/safetrace/internal/testenv/fabrictest"
	"github.com/safetrace/safetrace/party/server"
)

// TestReadyz: /healthz and /readyz answer; ready with the store up and the
// relay registered; the metrics show the lease holder and the store size.
func TestReadyz(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := "bbolt"
		if pg {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) {
			d := fabrictest.StartWith(t, 3, 1, fabrictest.Options{Postgres: pg})
			ts := httptest.NewServer(d.Servers[0].HTTPHandler())
			defer ts.Close()
			for _, path := range []string{"/healthz", "/readyz"} {
				resp, err := http.Get(ts.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				var h server.Health
				err = json.NewDecoder(resp.Body).Decode(&h)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 || h.Store != "ok" || h.RelaysRegistered != 1 || !h.LeaseHolder {
					t.Fatalf("%s: %d %+v %v", path, resp.StatusCode, h, err)
				}
			}
			resp, err := http.Get(ts.URL + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, m := range []string{"safetrace_party_lease_holder 1", "safetrace_party_store_items 0", "safetrace_party_store_bytes "} {
				if !strings.Contains(string(b), m) {
					t.Errorf("metrics lack %q", m)
				}
			}
			// Without a relay the front end is alive but not ready.
			d.StopParty(1)
			resp, err = http.Get(ts.URL + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("readyz of a stopped party: %d", resp.StatusCode)
			}
		})
	}
}

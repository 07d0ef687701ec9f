package relay_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/safetrace/safetrace/internal/testenv/relayserve"
	"github.com/safetrace/safetrace/relay"
)

// TestMetricsOnlyOnOperatorListener checks that the public listener serves
// no metrics, at the root or under a URL prefix, and the operator listener
// does.
func TestMetricsOnlyOnOperatorListener(t *testing.T) {
	k := newKeys(1)
	r := startRelay(t, k, relay.Config{})
	// As deployed: the relay under the manifest URL's path (/ws).
	prefixed := httptest.NewServer(relayserve.Handler(r.Server, "/ws"))
	defer prefixed.Close()
	for _, url := range []string{r.HTTP + "/metrics", prefixed.URL + "/ws/metrics", prefixed.URL + "/metrics"} {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("public listener: GET %s: %s, want 404", url, resp.Status)
		}
	}
	if h := get(t, prefixed.URL+"/ws/healthz"); h != "ok\n" {
		t.Errorf("healthz = %q", h)
	}
	resp, err := http.Get(r.Metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("operator listener: %s, %s", resp.Status, ct)
	}
	if m := get(t, r.Metrics+"/metrics"); !strings.Contains(m, "# TYPE safetrace_relay_connections gauge") {
		t.Errorf("metrics lack the connections gauge:\n%s", m)
	}
}

// Package relayserve serves a relay.Server under a URL path prefix, as a
// manifest's relay URL (such as ws://127.0.0.1:8081/ws) names it: the relay
// then answers at prefix/client, prefix/party and prefix/healthz, and also
// at /healthz. Metrics are on the relay's operator listener only.
package relayserve

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/safetrace/safetrace/relay"
)

// Handler returns srv mounted under prefix ("" or "/ws").
func Handler(srv *relay.Server, prefix string) http.Handler {
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix == "" {
		return srv
	}
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", http.StripPrefix(prefix, srv))
	mux.Handle("/healthz", srv)
	return mux
}

// Serve serves srv under prefix on ln until ctx is done, then shuts down
// gracefully: it stops accepting, closes the WebSockets with a close frame
// and waits up to relay.DefaultWriteWait. It returns nil after a shutdown
// caused by ctx.
func Serve(ctx context.Context, srv *relay.Server, ln net.Listener, prefix string) error {
	hs := &http.Server{Handler: Handler(srv, prefix), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		srv.Close()
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), relay.DefaultWriteWait)
	defer cancel()
	err := hs.Shutdown(sctx)
	if err2 := srv.Shutdown(sctx); err == nil {
		err = err2
	}
	if err2 := <-errc; err == nil && !errors.Is(err2, http.ErrServerClosed) {
		err = err2
	}
	return err
}

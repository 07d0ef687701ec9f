package transport

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"maps"
	"net"
)

// LocalMeshConfigs returns configurations for an n-party mesh on loopback:
// fresh keys, a listener bound to a free port of 127.0.0.1 for each party, and
// a random session id. Pass each to [NewMesh] (in this process or another);
// the caller must close the listeners of configurations it does not use.
func LocalMeshConfigs(n int) ([]MeshConfig, error) {
	if n < 1 {
		return nil, fmt.Errorf("transport: need at least 1 party, got %d", n)
	}
	session := make([]byte, 32)
	rand.Read(session)
	cfgs := make([]MeshConfig, n)
	peers := make(map[int]Peer, n)
	for i := range cfgs {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			for _, c := range cfgs[:i] {
				c.Listener.Close()
			}
			return nil, fmt.Errorf("transport: %w", err)
		}
		peers[i+1] = Peer{Addr: ln.Addr().String(), Key: pub}
		cfgs[i] = MeshConfig{ID: i + 1, Key: priv, Listener: ln, Session: session}
	}
	for i := range cfgs {
		cfgs[i].Peers = maps.Clone(peers)
	}
	return cfgs, nil
}

package transport

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestImpostor: a party with an unknown key, posing as party 3, is turned
// away while the real mesh forms.
func TestImpostor(t *testing.T) {
	cfgs, err := LocalMeshConfigs(3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cfgs {
		cfgs[i].Timeout = 10 * time.Second
	}
	_, impKey, _ := ed25519.GenerateKey(rand.Reader)
	imp := cfgs[2]
	imp.Listener = nil // party 3 dials only
	imp.Key = impKey
	imp.Peers = maps.Clone(imp.Peers)
	imp.Peers[3] = Peer{Addr: imp.Peers[3].Addr, Key: impKey.Public().(ed25519.PublicKey)}

	conns := make([]Conn, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { conns[i], errs[i] = NewMesh(context.Background(), cfgs[i]) })
	}
	if _, err := NewMesh(context.Background(), imp); err == nil {
		t.Fatal("impostor joined the mesh")
	} else {
		t.Log(err)
	}
	conns[2], errs[2] = NewMesh(context.Background(), cfgs[2])
	wg.Wait()
	noErrors(t, errs)
	noErrors(t, all(conns, func(c Conn) error {
		defer c.Close()
		_, err := Broadcast(context.Background(), c, []byte("hi"))
		return err
	}))
}

// TestWrongIdentity: party 2, with its genuine key, claims to be party 3.
func TestWrongIdentity(t *testing.T) {
	cfgs, err := LocalMeshConfigs(3)
	if err != nil {
		t.Fatal(err)
	}
	cfgs[0].Timeout = time.Second
	done := make(chan error, 1)
	go func() {
		_, err := NewMesh(context.Background(), cfgs[0])
		done <- err
	}()
	defer cfgs[1].Listener.Close()
	defer cfgs[2].Listener.Close()

	cert, err := certificate(cfgs[1].Key)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", cfgs[1].Peers[1].Addr, clientConfig(cert, 1, cfgs[1].Peers[1].Key))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := writeHello(conn, hello{from: 3, to: 1, session: cfgs[1].Session}); err != nil {
		t.Fatal(err)
	}
	err = readStatus(bufioReader(conn))
	if err == nil || !strings.Contains(err.Error(), "not the pinned key of party 3") {
		t.Fatalf("got %v, want rejection", err)
	}
	err = <-done
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "not the pinned key of party 3") {
		t.Fatalf("party 1: %v", err)
	}
	t.Log(err)
}

func TestSessionMismatch(t *testing.T) {
	cfgs, err := LocalMeshConfigs(3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cfgs {
		cfgs[i].Timeout = 2 * time.Second
	}
	cfgs[2].Session = []byte("another computation")
	conns, errs := startMesh(context.Background(), cfgs)
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	// Party 3 is told why at once; parties 1 and 2 give up waiting for it.
	if errs[2] == nil || !strings.Contains(errs[2].Error(), "session mismatch") {
		t.Errorf("party 3: %v", errs[2])
	}
	for _, err := range errs[:2] {
		if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "parties [3]") {
			t.Errorf("got %v", err)
		}
	}
	t.Log(errs)
}

// TestWrongPinnedKey: the party at an address is not the one pinned for it.
func TestWrongPinnedKey(t *testing.T) {
	cfgs, err := LocalMeshConfigs(2)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cfgs {
		cfgs[i].Timeout = 2 * time.Second
	}
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	cfgs[1].Peers[1] = Peer{Addr: cfgs[1].Peers[1].Addr, Key: other}
	_, errs := startMesh(context.Background(), cfgs)
	if errs[1] == nil || !strings.Contains(errs[1].Error(), "not its pinned key") {
		t.Errorf("party 2: %v", errs[1])
	}
	if errs[0] == nil {
		t.Error("party 1 accepted a party that does not know its key")
	}
	t.Log(errs)
}

func TestOversizedFrame(t *testing.T) {
	conns := newTestMesh(t, 2, 5*time.Second, func(cfgs []MeshConfig) {
		cfgs[0].MaxMessage = 1024
		cfgs[1].MaxMessage = 4096
	})
	ctx := context.Background()
	if err := conns[0].Send(ctx, 2, make([]byte, 1025)); err == nil {
		t.Error("sent a message over the sender's limit")
	}
	if err := conns[1].Send(ctx, 1, make([]byte, 1024)); err != nil {
		t.Fatal(err)
	}
	if m, err := conns[0].Recv(ctx, 2); err != nil || len(m) != 1024 {
		t.Fatalf("message at the limit: %d bytes, %v", len(m), err)
	}
	if err := conns[1].Send(ctx, 1, make([]byte, 2048)); err != nil {
		t.Fatal(err)
	}
	_, err := conns[0].Recv(ctx, 2)
	if err == nil || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Fatalf("got %v, want oversized frame error", err)
	}
	t.Log(err)
	// The sender sees its link fail.
	if _, err := conns[1].Recv(ctx, 1); !errors.Is(err, ErrPeerGone) {
		t.Errorf("sender: %v", err)
	}
}

func TestMeshConfigErrors(t *testing.T) {
	cfgs, err := LocalMeshConfigs(2)
	if err != nil {
		t.Fatal(err)
	}
	defer cfgs[1].Listener.Close()
	base := cfgs[0]
	base.Listener = nil
	for name, edit := range map[string]func(*MeshConfig){
		"id 0":          func(c *MeshConfig) { c.ID = 0 },
		"id 3":          func(c *MeshConfig) { c.ID = 3 },
		"no key":        func(c *MeshConfig) { c.Key = nil },
		"wrong key":     func(c *MeshConfig) { c.Key = cfgs[1].Key },
		"missing party": func(c *MeshConfig) { c.Peers = map[int]Peer{1: c.Peers[1], 3: c.Peers[2]} },
		"same key": func(c *MeshConfig) {
			c.Peers = map[int]Peer{1: c.Peers[1], 2: {Addr: c.Peers[2].Addr, Key: c.Peers[1].Key}}
		},
		"long session": func(c *MeshConfig) { c.Session = make([]byte, maxSession+1) },
	} {
		c := base
		c.Peers = maps.Clone(base.Peers)
		edit(&c)
		if _, err := NewMesh(context.Background(), c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	cfgs[0].Listener.Close()
}

// TestSendCancel: cancelling a Send stuck on a peer that reads nothing
// returns the context's error.
func TestSendCancel(t *testing.T) {
	conns := newTestMesh(t, 2, 10*time.Second, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	big := make([]byte, 32<<20)
	var err error
	for i := 0; i < recvQueue+10 && err == nil; i++ {
		err = conns[0].Send(ctx, 2, big)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want DeadlineExceeded", err)
	}
	t.Log(err)
}

func TestCertificateDeterministic(t *testing.T) {
	_, k, _ := ed25519.GenerateKey(rand.Reader)
	a, _ := certificate(k)
	b, _ := certificate(k)
	if !bytes.Equal(a.Certificate[0], b.Certificate[0]) {
		t.Error("certificates differ")
	}
}

// TestLargeMessage sends a message of several frames (more than 64 MiB)
// and an empty one between two parties of a TLS mesh: no frame size bounds
// a message.
func TestLargeMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 150 MiB")
	}
	conns := newTestMesh(t, 2, 20*time.Second, nil)
	ctx := context.Background()
	big := make([]byte, 2*frameChunk+12345)
	for i := range big {
		big[i] = byte(i * 7)
	}
	done := make(chan error, 1)
	go func() {
		err := conns[0].Send(ctx, 2, big)
		if err == nil {
			err = conns[0].Send(ctx, 2, nil)
		}
		done <- err
	}()
	got, err := conns[1].Recv(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, big) {
		t.Fatalf("received %d bytes, not the %d sent", len(got), len(big))
	}
	if empty, err := conns[1].Recv(ctx, 1); err != nil || len(empty) != 0 {
		t.Fatalf("empty message: %d bytes, %v", len(empty), err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

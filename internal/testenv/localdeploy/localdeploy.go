// Package localdeploy builds a complete single-machine SafeTrace deployment:
// n party keys, an authority key and a manifest signed by every party. The
// "safetrace manifest init" command and tests use it.
//
// Warning: one machine holds every party's keys, so the deployment has none of
// the privacy of separately operated parties. It is for development and tests.
package localdeploy

import (
	"fmt"

	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/deploy/keys"
	"github.com/safetrace/safetrace/deploy/manifest"
)

// Options configure New. Zero fields take the defaults shown.
type Options struct {
	Deployment   string // "local"
	MeshBasePort int    // 7001: party i listens on 127.0.0.1:MeshBasePort+i-1
	Relay        string // "ws://127.0.0.1:8081/ws"
	Origin       string // "http://localhost:8080"
	// Params, if not nil, changes the parameters after the local defaults:
	// manifest.DefaultParams with min_new_uploads 1, so a development
	// deployment runs an epoch on any change, and budget.user_day_records
	// 100,000, for tests and demos that upload much from one device.
	Params func(p *manifest.Params)
}

// Deployment is the result of New.
type Deployment struct {
	Manifest  *manifest.Manifest
	Parties   []*keys.PartyKey // Parties[i] has id i+1
	Authority *authority.Key
}

// New generates keys and a signed manifest for n parties with threshold t.
func New(n, t int, o Options) (*Deployment, error) {
	if o.Deployment == "" {
		o.Deployment = "local"
	}
	if o.MeshBasePort == 0 {
		o.MeshBasePort = 7001
	}
	if o.Relay == "" {
		o.Relay = "ws://127.0.0.1:8081/ws"
	}
	if o.Origin == "" {
		o.Origin = "http://localhost:8080"
	}
	if n < 1 || n > manifest.MaxParties || o.MeshBasePort < 1 || o.MeshBasePort+n-1 > 65535 {
		return nil, fmt.Errorf("localdeploy: %d parties from port %d do not fit", n, o.MeshBasePort)
	}
	d := &Deployment{}
	m := &manifest.Manifest{
		Version:      manifest.Version,
		Deployment:   o.Deployment,
		Serial:       1,
		N:            n,
		T:            t,
		HPKESuite:    manifest.HPKESuite,
		Relays:       []string{o.Relay},
		AppOrigin:    o.Origin,
		Params:       params(o),
		Computations: manifest.DefaultComputations(),
	}
	for i := 1; i <= n; i++ {
		k, err := keys.Generate(i, fmt.Sprintf("party %d", i), fmt.Sprintf("127.0.0.1:%d", o.MeshBasePort+i-1))
		if err != nil {
			return nil, err
		}
		d.Parties = append(d.Parties, k)
		m.Parties = append(m.Parties, k.Public())
	}
	a, err := authority.GenerateKey("local health authority")
	if err != nil {
		return nil, err
	}
	d.Authority = a
	m.Authorities = []manifest.Authority{a.Public()}
	for _, k := range d.Parties {
		if err := m.Sign(k.ID, k.Sign); err != nil {
			return nil, err
		}
	}
	if err := m.Verify(); err != nil {
		return nil, err
	}
	d.Manifest = m
	return d, nil
}

func params(o Options) manifest.Params {
	p := manifest.DefaultParams()
	p.MinNewUploads = 1
	// Tests and demos upload far more per device and day than a visitor.
	p.Budget.UserDayRecords = 100_000
	if o.Params != nil {
		o.Params(&p)
	}
	return p
}

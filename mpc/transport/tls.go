package transport

import (
	"bytes"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// alpn names the protocol spoken after the TLS handshake, so that a
// connection of some other protocol using the same keys cannot be confused
// with a mesh link.
const alpn = "safetrace-mpc-transport/1"

// certificate returns a self-signed TLS certificate for key. Its validity
// period and names are irrelevant: peers check only that the certificate's
// key is the pinned key (see verifyKey); TLS itself proves possession of the
// private key. Fixed fields make the certificate deterministic.
func certificate(key ed25519.PrivateKey) (tls.Certificate, error) {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "safetrace party"},
		NotBefore:    time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("transport: creating certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// peerKey returns the Ed25519 key of the peer's leaf certificate.
func peerKey(cs tls.ConnectionState) (ed25519.PublicKey, error) {
	if len(cs.PeerCertificates) == 0 {
		return nil, errors.New("peer sent no certificate")
	}
	k, ok := cs.PeerCertificates[0].PublicKey.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("peer certificate key is %T, not Ed25519", cs.PeerCertificates[0].PublicKey)
	}
	return k, nil
}

// clientConfig is the TLS configuration for dialing party want, whose key
// must be wantKey.
func clientConfig(cert tls.Certificate, want int, wantKey ed25519.PublicKey) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{alpn},
		ServerName:   fmt.Sprintf("party-%d.safetrace.invalid", want),
		// Parties have self-signed certificates and no CA: the standard
		// chain and name checks cannot apply and are skipped. Security
		// rests entirely on VerifyConnection below, which accepts only the
		// pinned key of the party we meant to reach; TLS 1.3 has already
		// checked the peer's signature with that key.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			k, err := peerKey(cs)
			if err != nil {
				return err
			}
			if !bytes.Equal(k, wantKey) {
				return fmt.Errorf("party %d presented key %x, not its pinned key", want, []byte(k))
			}
			if cs.NegotiatedProtocol != alpn {
				return fmt.Errorf("party %d does not speak %s", want, alpn)
			}
			return nil
		},
	}
}

// serverConfig is the TLS configuration for accepting parties; known reports
// whether a key is pinned for some party allowed to dial us.
func serverConfig(cert tls.Certificate, known func(ed25519.PublicKey) bool) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{alpn},
		// RequireAnyClientCert rather than RequireAndVerifyClientCert: there
		// is no CA to verify against. VerifyConnection instead admits only
		// pinned keys, and the handshake checks the key matches the claimed
		// party id.
		ClientAuth:             tls.RequireAnyClientCert,
		SessionTicketsDisabled: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			k, err := peerKey(cs)
			if err != nil {
				return err
			}
			if !known(k) {
				return fmt.Errorf("unknown peer key %x", []byte(k))
			}
			return nil
		},
	}
}

package relaywire

import (
	"crypto/ed25519"
	"encoding/binary"
)

// helloContext separates Hello signatures from every other use of a party's
// signing key.
const helloContext = "safetrace relay hello v1\x00"

// HelloMessage returns the bytes a party signs to register with a relay:
//
//	"safetrace relay hello v1" 0x00 || party (1 byte)
//	|| len(name) (2 bytes) || name || nonce (32 bytes)
//	|| len(manifestHash) (2 bytes) || manifestHash
//
// name is the relay's advertised name, which must be the URL the party
// dials: a relay cannot pass on a Hello meant for another relay, and a
// Hello is good for one nonce only. manifestHash pins the deployment. It
// panics if name or manifestHash exceeds 65535 bytes.
func HelloMessage(party uint8, name string, nonce [32]byte, manifestHash []byte) []byte {
	if len(name) > 0xffff || len(manifestHash) > 0xffff {
		panic("relaywire: HelloMessage input too long")
	}
	m := make([]byte, 0, len(helloContext)+1+2+len(name)+32+2+len(manifestHash))
	m = append(m, helloContext...)
	m = append(m, party)
	m = binary.BigEndian.AppendUint16(m, uint16(len(name)))
	m = append(m, name...)
	m = append(m, nonce[:]...)
	m = binary.BigEndian.AppendUint16(m, uint16(len(manifestHash)))
	return append(m, manifestHash...)
}

// SignHello returns the Hello that answers challenge c for party with key.
func SignHello(key ed25519.PrivateKey, party uint8, c *Challenge, manifestHash []byte) *Hello {
	h := &Hello{Party: party}
	copy(h.Signature[:], ed25519.Sign(key, HelloMessage(party, c.Name, c.Nonce, manifestHash)))
	return h
}

// VerifyHello reports whether h is a valid answer, under pub, to the
// challenge with the given relay name and nonce.
func VerifyHello(pub ed25519.PublicKey, h *Hello, name string, nonce [32]byte, manifestHash []byte) bool {
	if len(pub) != ed25519.PublicKeySize {
		return false
	}
	return ed25519.Verify(pub, HelloMessage(h.Party, name, nonce, manifestHash), h.Signature[:])
}

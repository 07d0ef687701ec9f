package wire

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
)

// The work of an envelope is the anonymous cost of a request (issue
// "hostile clients"; docs/fabric.md, "Work"): the client searches a nonce
// such that SHA-256(digest || nonce) starts with WorkBits(size, base) zero
// bits, where digest is SHA-256 of the envelope's header and ciphertext
// with the nonce left out. The relay and the party check it with two hashes
// before anything else, so a flood costs its sender about 2^bits hashes per
// envelope. The bits grow by one for every fourfold size above 4 KiB: an
// envelope of the largest bucket costs 16 times one of 4 KiB.

// WorkNonceSize is the size of an envelope's work nonce.
const WorkNonceSize = 8

// MaxWorkBits bounds the work a manifest may ask for.
const MaxWorkBits = 32

const workPrefix = "safetrace work v1\x00"

// WorkBits returns the zero bits an envelope of size bytes needs under a
// manifest's base work (0: no work). The size counted is the padded
// request's, the envelope less its header and the seal's overhead, so an
// envelope of a bucket pays for that bucket: base for the 1 and 4 KiB
// buckets, one bit more for every fourfold size above.
func WorkBits(size, base int) int {
	if base <= 0 {
		return 0
	}
	b := base
	padded := size - EnvelopeHeaderSize - SealOverhead
	for s := 4 << 10; s < padded && b < MaxWorkBits; s *= 4 {
		b++
	}
	return b
}

// workDigest hashes env without its nonce.
func workDigest(env []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(workPrefix))
	h.Write(env[:envelopeNonceAt])
	h.Write(env[envelopeNonceAt+WorkNonceSize:])
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}

func workOK(d [sha256.Size]byte, nonce []byte, need int) bool {
	var in [sha256.Size + WorkNonceSize]byte
	copy(in[:], d[:])
	copy(in[sha256.Size:], nonce)
	s := sha256.Sum256(in[:])
	z := 0
	for _, x := range s {
		if x != 0 {
			z += bits.LeadingZeros8(x)
			break
		}
		z += 8
		if z >= need {
			break
		}
	}
	return z >= need
}

// SetWork sets the nonce of env (a whole envelope) so that it carries the
// work a manifest with base work asks for. SealEnvelope calls it; it is
// exported for tools that build envelopes by hand.
func SetWork(env []byte, base int) {
	need := WorkBits(len(env), base)
	if need == 0 {
		return
	}
	d := workDigest(env)
	nonce := env[envelopeNonceAt : envelopeNonceAt+WorkNonceSize]
	for n := uint64(0); ; n++ {
		binary.BigEndian.PutUint64(nonce, n)
		if workOK(d, nonce, need) {
			return
		}
	}
}

// CheckWork reports whether env (a whole envelope) carries the work a
// manifest with base work asks for. Relays call it before forwarding, parties
// before opening.
func CheckWork(env []byte, base int) bool {
	if len(env) < EnvelopeHeaderSize {
		return false
	}
	need := WorkBits(len(env), base)
	return need == 0 || workOK(workDigest(env), env[envelopeNonceAt:envelopeNonceAt+WorkNonceSize], need)
}

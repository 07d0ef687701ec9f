package wire

import (
	"encoding/binary"
	"fmt"
	"slices"
)

// DefaultBuckets are the padded sizes of uploads, in bytes: 1 KiB, 4 KiB,
// 16 KiB, 64 KiB, 256 KiB and 1 MiB. A relay learns only which bucket an
// upload fell in.
var DefaultBuckets = []int{1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20}

// lenPrefix is the size of the big-endian uint32 length prefix.
const lenPrefix = 4

// Pad returns payload prefixed with its length as a big-endian uint32 and
// followed by zero bytes up to the smallest bucket that holds both. buckets
// must be positive and ascending. Payloads too large for the largest bucket
// are an error.
func Pad(payload []byte, buckets []int) ([]byte, error) {
	if err := checkBuckets(buckets); err != nil {
		return nil, err
	}
	need := len(payload) + lenPrefix
	for _, b := range buckets {
		if need <= b {
			out := make([]byte, b)
			binary.BigEndian.PutUint32(out, uint32(len(payload)))
			copy(out[lenPrefix:], payload)
			return out, nil
		}
	}
	return nil, fmt.Errorf("wire: payload of %d bytes does not fit the largest bucket (%d bytes with the %d-byte prefix)", len(payload), buckets[len(buckets)-1], lenPrefix)
}

// Unpad reverses Pad. It fails unless len(padded) is one of buckets, the length
// prefix fits, and every padding byte is zero. The result aliases padded.
func Unpad(padded []byte, buckets []int) ([]byte, error) {
	if err := checkBuckets(buckets); err != nil {
		return nil, err
	}
	if !slices.Contains(buckets, len(padded)) {
		return nil, fmt.Errorf("wire: padded payload is %d bytes, not a bucket size", len(padded))
	}
	n := binary.BigEndian.Uint32(padded)
	if uint64(n) > uint64(len(padded)-lenPrefix) {
		return nil, fmt.Errorf("wire: length prefix %d exceeds the %d-byte bucket", n, len(padded))
	}
	end := lenPrefix + int(n)
	for _, c := range padded[end:] {
		if c != 0 {
			return nil, fmt.Errorf("wire: non-zero padding after a %d-byte payload", n)
		}
	}
	// Reject a payload that would have fit a smaller bucket: Pad never makes
	// one, so it is either a bug or an attempt to smuggle a size signal.
	if i := slices.Index(buckets, len(padded)); i > 0 && end <= buckets[i-1] {
		return nil, fmt.Errorf("wire: %d-byte payload in a %d-byte bucket; it fits the %d-byte bucket", n, len(padded), buckets[i-1])
	}
	return padded[lenPrefix:end], nil
}

func checkBuckets(buckets []int) error {
	if len(buckets) == 0 {
		return fmt.Errorf("wire: no padding buckets")
	}
	prev := lenPrefix - 1
	for _, b := range buckets {
		if b <= prev || b > 1<<31 {
			return fmt.Errorf("wire: padding buckets %v: need ascending sizes from %d to 2^31", buckets, lenPrefix)
		}
		prev = b
	}
	return nil
}

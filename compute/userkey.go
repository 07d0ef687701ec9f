package compute

import (
	"fmt"

	"github.com/safetrace/safetrace/wire"
)

// UserKeySize is the size of store.Record.ResultKey for uploads received by
// a party: the user's result public key followed by their token hash.
const UserKeySize = wire.KeySize + wire.HashSize

// UserKey identifies the user of a stored record: where to seal results
// (ResultKey) and who may fetch them (TokenHash, the SHA-256 of a secret only
// the user's device knows). Records of one user carry equal UserKeys.
type UserKey struct {
	ResultKey [wire.KeySize]byte
	TokenHash [wire.HashSize]byte
}

// Bytes returns the 64-byte form stored in store.Record.ResultKey.
func (u UserKey) Bytes() []byte { return append(u.ResultKey[:], u.TokenHash[:]...) }

// ParseUserKey decodes store.Record.ResultKey of a stored record.
func ParseUserKey(b []byte) (UserKey, error) {
	var u UserKey
	if len(b) != UserKeySize {
		return u, fmt.Errorf("compute: user key of %d bytes, want %d", len(b), UserKeySize)
	}
	copy(u.ResultKey[:], b)
	copy(u.TokenHash[:], b[wire.KeySize:])
	return u, nil
}

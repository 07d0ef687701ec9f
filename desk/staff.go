package desk

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/safetrace/safetrace/deploy/keys"
)

const staffFileType = "safetrace desk staff v1"

// Params are argon2id parameters (RFC 9106): memory in KiB, passes,
// parallelism.
type Params struct {
	Memory  uint32
	Time    uint32
	Threads uint8
}

// DefaultParams are the parameters of new password hashes: 64 MiB, one
// pass, 4 lanes (the x/crypto/argon2 recommendation; RFC 9106 section 4).
var DefaultParams = Params{Memory: 64 * 1024, Time: 1, Threads: 4}

// Bounds of the parameters read from a staff file.
const (
	maxMemory = 1 << 20 // 1 GiB
	maxTime   = 16
	saltLen   = 16
	hashLen   = 32
	// MinPassword is the least length of a staff password.
	MinPassword = 12
)

// StaffMember is one staff account: a name and an argon2id hash of its
// password in the PHC string format ($argon2id$v=19$m=..,t=..,p=..$salt$hash).
type StaffMember struct {
	Name  string    `json:"name"`
	Hash  string    `json:"hash"`
	Added time.Time `json:"added"`
}

// Staff is the staff file: the accounts that may sign in at the desk.
type Staff struct {
	Type    string        `json:"type"`
	Members []StaffMember `json:"staff"`
}

// HashPassword returns the PHC string of password under a fresh random salt.
func HashPassword(password string, p Params) string {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	h := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, hashLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(h))
}

// CheckPassword reports whether password matches the PHC string hash. The
// comparison of the hashes is constant time; the work is the hash's.
func CheckPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false, errors.New("desk: not an argon2id hash")
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, fmt.Errorf("desk: argon2id parameters %q: %v", parts[3], err)
	}
	if p.Memory < 8 || p.Memory > maxMemory || p.Time < 1 || p.Time > maxTime || p.Threads < 1 {
		return false, fmt.Errorf("desk: argon2id parameters %q out of range", parts[3])
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(want) < 16 {
		return false, errors.New("desk: malformed argon2id hash")
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// GeneratePassword returns a random password of 20 characters (100 bits)
// in groups of 5, easy to read out and type.
func GeneratePassword() string {
	b := make([]byte, 20)
	rand.Read(b)
	const alphabet = "23456789abcdefghjkmnpqrstuvwxyz" + "A" // 32 symbols, no 0/o, 1/l/i
	var s strings.Builder
	for i, c := range b {
		if i > 0 && i%5 == 0 {
			s.WriteByte('-')
		}
		s.WriteByte(alphabet[c&31])
	}
	return s.String()
}

// validName reports whether name can be a staff account name: 1 to 64
// letters, digits, '.', '-' or '_'.
func validName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// LoadStaff reads a staff file (mode 0600, see keys.ReadSecretFile).
func LoadStaff(path string) (*Staff, error) {
	b, err := keys.ReadSecretFile(path)
	if err != nil {
		return nil, err
	}
	var s Staff
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("desk: staff file %s: %w", path, err)
	}
	if s.Type != staffFileType {
		return nil, fmt.Errorf("desk: staff file %s: type %q, want %q", path, s.Type, staffFileType)
	}
	for _, m := range s.Members {
		if !validName(m.Name) {
			return nil, fmt.Errorf("desk: staff file %s: bad account name %q", path, m.Name)
		}
	}
	return &s, nil
}

// Lookup returns the account named name (case-insensitive).
func (s *Staff) Lookup(name string) (StaffMember, bool) {
	i := slices.IndexFunc(s.Members, func(m StaffMember) bool { return strings.EqualFold(m.Name, name) })
	if i < 0 {
		return StaffMember{}, false
	}
	return s.Members[i], true
}

// AddStaff adds the account name with password to the staff file at path,
// creating the file (mode 0600) if it does not exist. An existing account
// of that name is an error.
func AddStaff(path, name, password string, p Params) error {
	if !validName(name) {
		return fmt.Errorf("desk: account name %q: use 1 to 64 letters, digits, '.', '-' or '_'", name)
	}
	if len(password) < MinPassword {
		return fmt.Errorf("desk: password shorter than %d characters", MinPassword)
	}
	s := &Staff{Type: staffFileType}
	if _, err := os.Stat(path); err == nil {
		if s, err = LoadStaff(path); err != nil {
			return err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if _, ok := s.Lookup(name); ok {
		return fmt.Errorf("desk: staff file %s already has an account %q", path, name)
	}
	s.Members = append(s.Members, StaffMember{Name: name, Hash: HashPassword(password, p), Added: time.Now().UTC().Truncate(time.Second)})
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return replaceSecretFile(path, append(b, '\n'))
}

// replaceSecretFile writes data to path (mode 0600) through a temporary
// file and a rename.
func replaceSecretFile(path string, data []byte) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	os.Remove(tmp)
	if err := keys.WriteSecretFile(tmp, data); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("desk: %w", err)
	}
	return nil
}

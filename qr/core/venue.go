package core

import (
	"crypto/rand"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// SecretSize is the length in bytes of a venue secret.
const SecretSize = 32

// Limits on the text fields of a [Venue], in bytes of UTF-8. They keep the QR
// code small enough to scan from a distance.
const (
	MaxNameLen    = 64
	MaxAddressLen = 128
	MaxRoomLen    = 32
)

// MaxStay bounds a venue's default length of stay.
const MaxStay = 24 * time.Hour

// A Venue is what a poster's QR code tells a visitor's app. The zero Venue is
// not valid; use [NewVenue] to start one with a fresh secret and the
// category's defaults.
type Venue struct {
	// Secret is the venue's 32 random bytes, the place of its records.
	Secret [SecretSize]byte
	// Name is required; Address and Room are optional (empty means absent).
	// All three are valid UTF-8 without control characters.
	Name, Address, Room string
	// Category must be valid; Risk is its transmission-risk level, between
	// MinRisk and MaxRisk (NewVenue sets the category's default).
	Category Category
	Risk     RiskLevel
	// Stay is the default length of a visit: a whole number of minutes,
	// at least one and at most MaxStay.
	Stay time.Duration
	// ValidFrom and ValidUntil bound when check-ins are accepted. Both are
	// zero (no limit) or both are set, whole minutes since the Unix epoch,
	// with ValidFrom before ValidUntil.
	ValidFrom, ValidUntil time.Time
}

// NewVenue returns a venue with a fresh random secret from crypto/rand, the
// given name and category, and the category's default risk and stay. It
// returns an error if the result would not be valid.
func NewVenue(name string, c Category) (*Venue, error) {
	v := &Venue{Name: name, Category: c, Risk: c.DefaultRisk(), Stay: c.DefaultStay()}
	if _, err := rand.Read(v.Secret[:]); err != nil {
		return nil, fmt.Errorf("qr: venue secret: %w", err)
	}
	if err := v.Validate(); err != nil {
		return nil, err
	}
	return v, nil
}

// Validate reports whether v can be encoded, and if not, why.
func (v *Venue) Validate() error {
	if v == nil {
		return errors.New("qr: nil venue")
	}
	if v.Name == "" {
		return errors.New("qr: venue name is empty")
	}
	if err := checkText("name", v.Name, MaxNameLen); err != nil {
		return err
	}
	if err := checkText("address", v.Address, MaxAddressLen); err != nil {
		return err
	}
	if err := checkText("room", v.Room, MaxRoomLen); err != nil {
		return err
	}
	if !v.Category.Valid() {
		return fmt.Errorf("qr: invalid category %d", uint8(v.Category))
	}
	if v.Risk < MinRisk || v.Risk > MaxRisk {
		return fmt.Errorf("qr: risk level %d outside %d..%d", v.Risk, MinRisk, MaxRisk)
	}
	if v.Stay < time.Minute || v.Stay > MaxStay || v.Stay%time.Minute != 0 {
		return fmt.Errorf("qr: stay %v is not a whole number of minutes between 1m and %v", v.Stay, MaxStay)
	}
	from, until := v.ValidFrom.IsZero(), v.ValidUntil.IsZero()
	switch {
	case from && until:
	case from != until:
		return errors.New("qr: validity period needs both a start and an end")
	case !minuteAligned(v.ValidFrom) || !minuteAligned(v.ValidUntil):
		return errors.New("qr: validity period must start and end on whole minutes")
	case !v.ValidFrom.Before(v.ValidUntil):
		return errors.New("qr: validity period ends before it starts")
	case v.ValidFrom.Unix() < 0 || v.ValidUntil.Unix()/60 > maxUnixMinute:
		return errors.New("qr: validity period outside the years 1970 to 10136")
	}
	return nil
}

// ValidAt reports whether a check-in at t falls inside the venue's validity
// period; a venue without one is always valid.
func (v *Venue) ValidAt(t time.Time) bool {
	if v.ValidFrom.IsZero() {
		return true
	}
	return !t.Before(v.ValidFrom) && t.Before(v.ValidUntil)
}

// maxUnixMinute bounds validity times so that they fit in 32 bits of minutes.
const maxUnixMinute = 1<<32 - 1

func minuteAligned(t time.Time) bool {
	return t.Unix()%60 == 0 && t.Nanosecond() == 0
}

func checkText(field, s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("qr: %s is %d bytes, more than %d", field, len(s), max)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("qr: %s is not valid UTF-8", field)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("qr: %s contains control character %U", field, r)
		}
	}
	return nil
}

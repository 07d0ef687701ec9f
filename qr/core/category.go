package core

import (
	"fmt"
	"time"
)

// A Category classifies a venue. Each category has a default transmission-risk
// level and a default length of stay that a new [Venue] starts from. The zero
// Category is not a valid category.
type Category uint8

// The categories a payload may carry. Their numeric values are part of the
// payload format and never change.
const (
	Restaurant Category = iota + 1
	Bar
	Office
	Retail
	Gym
	School
	Event
	Transport
	Other
)

// A RiskLevel is a transmission-risk level from 1 (lowest) to 8 (highest),
// the scale of the Corona-Warn-App's event registration. It weighs how likely
// transmission is during a shared stay at a venue.
type RiskLevel uint8

// MinRisk and MaxRisk bound a valid [RiskLevel].
const (
	MinRisk RiskLevel = 1
	MaxRisk RiskLevel = 8
)

type categoryInfo struct {
	name string
	risk RiskLevel
	stay time.Duration
}

// categories is indexed by Category; index 0 is the invalid zero Category.
// Risk levels follow the idea of the Corona-Warn-App's event categories:
// crowded, loud, indoor and long stays rank higher.
var categories = [...]categoryInfo{
	{},
	Restaurant: {"restaurant", 6, 90 * time.Minute},
	Bar:        {"bar", 7, 2 * time.Hour},
	Office:     {"office", 5, 8 * time.Hour},
	Retail:     {"retail", 3, 20 * time.Minute},
	Gym:        {"gym", 7, time.Hour},
	School:     {"school", 6, 6 * time.Hour},
	Event:      {"event", 8, 3 * time.Hour},
	Transport:  {"transport", 4, 30 * time.Minute},
	Other:      {"other", 5, time.Hour},
}

// Categories returns every valid category in numeric order. The caller may
// modify the returned slice.
func Categories() []Category {
	cs := make([]Category, 0, len(categories)-1)
	for c := Restaurant; int(c) < len(categories); c++ {
		cs = append(cs, c)
	}
	return cs
}

// Valid reports whether c is one of the defined categories.
func (c Category) Valid() bool { return c > 0 && int(c) < len(categories) }

// String returns the category's lower-case name, as accepted by
// [ParseCategory], or "category(N)" for an invalid value.
func (c Category) String() string {
	if !c.Valid() {
		return fmt.Sprintf("category(%d)", uint8(c))
	}
	return categories[c].name
}

// DefaultRisk returns the category's default transmission-risk level, or 0
// for an invalid category.
func (c Category) DefaultRisk() RiskLevel {
	if !c.Valid() {
		return 0
	}
	return categories[c].risk
}

// DefaultStay returns the category's default length of stay, or 0 for an
// invalid category.
func (c Category) DefaultStay() time.Duration {
	if !c.Valid() {
		return 0
	}
	return categories[c].stay
}

// ParseCategory returns the category with the given name (as printed by
// [Category.String]). The empty string means [Other].
func ParseCategory(name string) (Category, error) {
	if name == "" {
		return Other, nil
	}
	for _, c := range Categories() {
		if categories[c].name == name {
			return c, nil
		}
	}
	return 0, fmt.Errorf("qr: unknown category %q", name)
}

// MarshalText implements [encoding.TextMarshaler]; it fails for an invalid
// category.
func (c Category) MarshalText() ([]byte, error) {
	if !c.Valid() {
		return nil, fmt.Errorf("qr: invalid category %d", uint8(c))
	}
	return []byte(c.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler] with [ParseCategory].
func (c *Category) UnmarshalText(b []byte) error {
	v, err := ParseCategory(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

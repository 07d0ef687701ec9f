package qr

import (
	"time"

	"github.com/safetrace/safetrace/qr/core"
)

// testVenue is a venue with every field set (the same as qr/core's tests).
func testVenue() *core.Venue {
	v := &core.Venue{
		Name:       "Café Zürich",
		Address:    "Langstrasse 1, 8004 Zürich",
		Room:       "Upstairs",
		Category:   core.Restaurant,
		Risk:       core.Restaurant.DefaultRisk(),
		Stay:       90 * time.Minute,
		ValidFrom:  time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC),
		ValidUntil: time.Date(2025, 12, 31, 23, 59, 0, 0, time.UTC),
	}
	for i := range v.Secret {
		v.Secret[i] = byte(i)
	}
	return v
}

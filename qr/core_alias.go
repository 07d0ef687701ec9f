package qr

import (
	"image"

	"github.com/safetrace/safetrace/qr/core"
	"github.com/safetrace/safetrace/qr/internal/scan"
)

// The venue code, its payload and URL, the symbol encoder and the decoder
// live in package qr/core, which a scanning client (the visitor app's
// WebAssembly) imports without the poster renderers of this package. These
// names keep qr's API whole.

type (
	Venue     = core.Venue
	Category  = core.Category
	RiskLevel = core.RiskLevel
	Symbol    = core.Symbol
	Scanner   = core.Scanner
)

const (
	Version        = core.Version
	MaxPayloadSize = core.MaxPayloadSize
	SecretSize     = core.SecretSize
	MaxNameLen     = core.MaxNameLen
	MaxAddressLen  = core.MaxAddressLen
	MaxRoomLen     = core.MaxRoomLen
	MaxStay        = core.MaxStay
	QuietZone      = core.QuietZone
	DefaultOrigin  = core.DefaultOrigin
	MinRisk        = core.MinRisk
	MaxRisk        = core.MaxRisk

	Restaurant = core.Restaurant
	Bar        = core.Bar
	Office     = core.Office
	Retail     = core.Retail
	Gym        = core.Gym
	School     = core.School
	Event      = core.Event
	Transport  = core.Transport
	Other      = core.Other
)

var (
	ErrNotFound = core.ErrNotFound
	ErrNotVenue = core.ErrNotVenue
)

func NewVenue(name string, c Category) (*Venue, error) { return core.NewVenue(name, c) }
func ParsePayload(b []byte) (*Venue, error)            { return core.ParsePayload(b) }
func ParseURL(s string) (*Venue, error)                { return core.ParseURL(s) }
func ParseCategory(name string) (Category, error)      { return core.ParseCategory(name) }
func Categories() []Category                           { return core.Categories() }
func Encode(text string) (*Symbol, error)              { return core.Encode(text) }
func DecodeImage(img image.Image) (string, error)      { return core.DecodeImage(img) }
func DecodeRGBA(pix []byte, width, height, stride int) (string, error) {
	return core.DecodeRGBA(pix, width, height, stride)
}

// The decoder's chain, for the quality tests.
var attempts = scan.Attempts

func decodeAttempts(g *scan.Gray, as []scan.Attempt) (string, int, error) {
	return scan.DecodeAttempts(g, as)
}

func toGray(img image.Image) *scan.Gray { return scan.ToGray(img) }

package qr

import (
	"image"

	"github.com/safetrace/safetrace/qr/internal/scan"
)

// The decoder's chain, for the quality tests.
var attempts = scan.Attempts

func decodeAttempts(g *scan.Gray, as []scan.Attempt) (string, int, error) {
	return scan.DecodeAttempts(g, as)
}

func toGray(img image.Image) *scan.Gray { return scan.ToGray(img) }

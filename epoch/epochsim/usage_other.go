//go:build !unix

package epochsim

func usage() (float64, int64) { return 0, 0 }

//go:build unix && !darwin

package epochsim

// maxRSSBytes converts ru_maxrss, in kilobytes on Linux and the BSDs.
func maxRSSBytes(v int64) int64 { return v * 1024 }

package epochsim

// maxRSSBytes converts ru_maxrss, in bytes on Darwin.
func maxRSSBytes(v int64) int64 { return v }

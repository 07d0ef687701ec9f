//go:build unix

package epochsim

import "syscall"

// usage returns this process's CPU time (user and system) in seconds and
// its peak resident memory in bytes.
func usage() (float64, int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	cpu := float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
	return cpu, maxRSSBytes(ru.Maxrss)
}

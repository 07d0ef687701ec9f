//go:build unix

package epochsim

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// usage returns this process's CPU time (user and system) in seconds and
// its peak resident memory in bytes: VmHWM of /proc/self/status where there
// is one, since on Linux getrusage's ru_maxrss also counts the parent's
// memory that a forked child shared before exec; ru_maxrss otherwise.
func usage() (float64, int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	cpu := float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
	if st, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range bytes.Split(st, []byte("\n")) {
			if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
				f := bytes.Fields(v)
				if len(f) == 2 && string(f[1]) == "kB" {
					if kb, err := strconv.ParseInt(string(f[0]), 10, 64); err == nil {
						return cpu, kb << 10
					}
				}
			}
		}
	}
	return cpu, maxRSSBytes(ru.Maxrss)
}

package field

import (
	"runtime"
	"sync"
)

// grain is the smallest number of scalars worth a goroutine for the vector
// operations that cost a multiplication or more per element (tens to
// hundreds of nanoseconds); below it a vector is processed in the caller.
const grain = 2048

// par runs fn over [0, n) in one contiguous chunk per CPU (GOMAXPROCS), or
// in the caller when n is small. Chunks write disjoint ranges.
func par(n int, fn func(lo, hi int)) {
	w := min(runtime.GOMAXPROCS(0), n/grain)
	if w <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for c := 1; c < w; c++ {
		lo, hi := c*n/w, (c+1)*n/w
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	fn(0, n/w)
	wg.Wait()
}

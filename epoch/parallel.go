package epoch

import (
	"runtime"
	"sync"
)

// parallel runs fn over [0, m) split into one contiguous chunk per CPU.
// Chunks write disjoint ranges; fn must not share other state unguarded.
func parallel(m int, fn func(lo, hi int)) {
	w := min(runtime.GOMAXPROCS(0), max(1, m/256))
	if w <= 1 {
		fn(0, m)
		return
	}
	var wg sync.WaitGroup
	for c := 0; c < w; c++ {
		lo, hi := c*m/w, (c+1)*m/w
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}

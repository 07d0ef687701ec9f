package seir

// Event kinds of the stochastic simulation.
const (
	evTransmit uint8 = iota // a transmission reaches node; S -> E if still susceptible
	evOnset                 // E -> I
	evRecover               // I -> R
)

type event struct {
	t    float64
	node int32
	kind uint8
}

// eventQueue is a binary min-heap of events ordered by time. It is written
// out rather than built on container/heap to avoid interface calls in the
// simulation's inner loop.
type eventQueue struct{ h []event }

func (q *eventQueue) len() int { return len(q.h) }

func (q *eventQueue) reset() { q.h = q.h[:0] }

func (q *eventQueue) push(e event) {
	h := append(q.h, e)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p].t <= e.t {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
	q.h = h
}

// pop removes and returns the earliest event. The queue must not be empty.
func (q *eventQueue) pop() event {
	h := q.h
	top := h[0]
	last := h[len(h)-1]
	h = h[:len(h)-1]
	n := len(h)
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && h[c+1].t < h[c].t {
			c++
		}
		if last.t <= h[c].t {
			break
		}
		h[i] = h[c]
		i = c
	}
	if n > 0 {
		h[i] = last
	}
	q.h = h
	return top
}

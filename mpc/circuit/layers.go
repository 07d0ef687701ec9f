package circuit

// layers groups gates by AND depth. gateLevel[i] is the largest AND depth of
// the inputs of gate i (0 for EQ): a linear gate belongs to that layer's
// Linear list and an AND or MAND to that layer's products.
func layers(gates []Gate, gateLevel []int32) []Layer {
	depth := 0
	for i, g := range gates {
		if !g.Op.Linear() {
			depth = max(depth, int(gateLevel[i])+1)
		}
	}
	ls := make([]Layer, depth+1)
	linear := make([]int, depth+1)
	ands := make([]int, depth+1)
	for i, g := range gates {
		if g.Op.Linear() {
			linear[gateLevel[i]]++
		} else {
			ands[gateLevel[i]] += len(g.Out)
		}
	}
	for i := range ls {
		ls[i].Linear = make([]Gate, 0, linear[i])
		// One allocation for the three index lists of a layer.
		idx := make([]int, 3*ands[i])
		n := ands[i]
		ls[i].AndA = idx[0:0:n]
		ls[i].AndB = idx[n : n : 2*n]
		ls[i].AndOut = idx[2*n : 2*n : 3*n]
	}
	for i, g := range gates {
		l := &ls[gateLevel[i]]
		switch g.Op {
		case AND:
			l.AndA = append(l.AndA, g.In[0])
			l.AndB = append(l.AndB, g.In[1])
			l.AndOut = append(l.AndOut, g.Out[0])
		case MAND:
			k := len(g.Out)
			l.AndA = append(l.AndA, g.In[:k]...)
			l.AndB = append(l.AndB, g.In[k:]...)
			l.AndOut = append(l.AndOut, g.Out...)
		default:
			l.Linear = append(l.Linear, g)
		}
	}
	return ls
}

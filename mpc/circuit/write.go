package circuit

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
)

// WriteTo writes c to w in canonical Bristol Fashion form: single spaces,
// "\n" line ends, a blank line after the header and one gate a line in the
// order of c.Gates. If c was returned by [Parse], parsing the result returns
// a circuit equal to c.
// It implements [io.WriterTo].
func (c *Circuit) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	bw := bufio.NewWriter(cw)
	var buf []byte
	buf = strconv.AppendInt(buf, int64(len(c.Gates)), 10)
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, int64(c.NumWires), 10)
	buf = append(buf, '\n')
	for _, ws := range [][]int{c.Inputs, c.Outputs} {
		buf = strconv.AppendInt(buf, int64(len(ws)), 10)
		for _, n := range ws {
			buf = append(buf, ' ')
			buf = strconv.AppendInt(buf, int64(n), 10)
		}
		buf = append(buf, '\n')
	}
	buf = append(buf, '\n')
	bw.Write(buf)
	for i := range c.Gates {
		g := &c.Gates[i]
		buf = buf[:0]
		nin := len(g.In)
		if g.Op == EQ {
			nin = 1
		}
		buf = strconv.AppendInt(buf, int64(nin), 10)
		buf = append(buf, ' ')
		buf = strconv.AppendInt(buf, int64(len(g.Out)), 10)
		if g.Op == EQ {
			if g.Const {
				buf = append(buf, " 1"...)
			} else {
				buf = append(buf, " 0"...)
			}
		}
		for _, ws := range [][]int{g.In, g.Out} {
			for _, n := range ws {
				buf = append(buf, ' ')
				buf = strconv.AppendInt(buf, int64(n), 10)
			}
		}
		buf = append(buf, ' ')
		buf = append(buf, g.Op.String()...)
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return cw.n, err
		}
	}
	err := bw.Flush()
	return cw.n, err
}

// MarshalText returns c in the form written by [Circuit.WriteTo].
func (c *Circuit) MarshalText() ([]byte, error) {
	var b bytes.Buffer
	_, err := c.WriteTo(&b)
	return b.Bytes(), err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (cw *countWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	return n, err
}

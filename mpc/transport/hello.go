package transport

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
)

// The hello opens every link, from dialer to acceptor, inside TLS:
//
//	magic [8]byte | from uint32 | to uint32 | len uint32 | session [len]byte
//
// The acceptor answers with a status:
//
//	ok byte (1 accepted, 0 rejected) | len uint32 | reason [len]byte
var helloMagic = [8]byte{'S', 'T', 'M', 'E', 'S', 'H', '0', '1'}

const maxReason = 1 << 12

type hello struct {
	from, to int
	session  []byte
}

func writeHello(w io.Writer, h hello) error {
	b := make([]byte, 0, 20+len(h.session))
	b = append(b, helloMagic[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(h.from))
	b = binary.BigEndian.AppendUint32(b, uint32(h.to))
	b = binary.BigEndian.AppendUint32(b, uint32(len(h.session)))
	b = append(b, h.session...)
	_, err := w.Write(b)
	return err
}

func readHello(r *bufio.Reader) (hello, error) {
	var b [20]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return hello{}, fmt.Errorf("reading hello: %w", err)
	}
	if [8]byte(b[:8]) != helloMagic {
		return hello{}, errors.New("not a transport hello")
	}
	h := hello{
		from: int(binary.BigEndian.Uint32(b[8:])),
		to:   int(binary.BigEndian.Uint32(b[12:])),
	}
	n := binary.BigEndian.Uint32(b[16:])
	if n > maxSession {
		return hello{}, fmt.Errorf("session id of %d bytes is too long", n)
	}
	h.session = make([]byte, n)
	if _, err := io.ReadFull(r, h.session); err != nil {
		return hello{}, fmt.Errorf("reading hello: %w", err)
	}
	return h, nil
}

// writeStatus accepts the dialer if reason is empty and rejects it otherwise.
func writeStatus(w net.Conn, reason string) error {
	if len(reason) > maxReason {
		reason = reason[:maxReason]
	}
	b := make([]byte, 0, 5+len(reason))
	ok := byte(0)
	if reason == "" {
		ok = 1
	}
	b = append(b, ok)
	b = binary.BigEndian.AppendUint32(b, uint32(len(reason)))
	b = append(b, reason...)
	_, err := w.Write(b)
	return err
}

func readStatus(r *bufio.Reader) error {
	var b [5]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return fmt.Errorf("waiting for acceptance: %w", err)
	}
	n := binary.BigEndian.Uint32(b[1:])
	if n > maxReason {
		return fmt.Errorf("rejection reason of %d bytes is too long", n)
	}
	reason := make([]byte, n)
	if _, err := io.ReadFull(r, reason); err != nil {
		return fmt.Errorf("waiting for acceptance: %w", err)
	}
	if b[0] != 1 {
		return fmt.Errorf("rejected: %s", reason)
	}
	return nil
}

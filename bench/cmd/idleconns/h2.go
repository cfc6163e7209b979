package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// HTTP/2 framing (RFC 9113 section 4.1), as much as the handshake needs.
const (
	h2Preface       = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
	h2FrameHeader   = 9
	h2FrameSettings = 0x4
	h2FrameGoAway   = 0x7
	h2FlagAck       = 0x1
)

// errH2GoAway is returned by openH2 when the server sends GOAWAY during the
// handshake.
var errH2GoAway = errors.New("idleconns: GOAWAY during the HTTP/2 handshake")

// openH2 opens an h2c connection with prior knowledge: the client preface
// and an empty SETTINGS frame out; frames in until the server's SETTINGS
// (acknowledged) and the acknowledgement of ours have both arrived.
func openH2(addr string) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := h2Handshake(c, bufio.NewReader(c)); err != nil {
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

// h2Handshake writes the preface and SETTINGS to w and reads frames from r.
// Frames other than SETTINGS and GOAWAY (WINDOW_UPDATE, say) are skipped.
func h2Handshake(w io.Writer, r *bufio.Reader) error {
	if _, err := io.WriteString(w, h2Preface+string(h2Frame(h2FrameSettings, 0))); err != nil {
		return err
	}
	var gotSettings, gotAck bool
	for !gotSettings || !gotAck {
		typ, flags, err := readH2Frame(r)
		if err != nil {
			return err
		}
		switch {
		case typ == h2FrameGoAway:
			return errH2GoAway
		case typ == h2FrameSettings && flags&h2FlagAck != 0:
			gotAck = true
		case typ == h2FrameSettings:
			gotSettings = true
			if _, err := w.Write(h2Frame(h2FrameSettings, h2FlagAck)); err != nil {
				return err
			}
		}
	}
	return nil
}

// h2Frame is an empty frame of type typ on stream 0.
func h2Frame(typ, flags byte) []byte {
	return []byte{0, 0, 0, typ, flags, 0, 0, 0, 0}
}

// readH2Frame reads one frame and returns its type and flags; the payload
// is discarded.
func readH2Frame(r *bufio.Reader) (typ, flags byte, err error) {
	var h [h2FrameHeader]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, 0, err
	}
	n := int64(binary.BigEndian.Uint32(h[:4]) >> 8)
	if n > 1<<20 {
		return 0, 0, fmt.Errorf("idleconns: a %d-byte frame during the handshake", n)
	}
	if _, err := io.CopyN(io.Discard, r, n); err != nil {
		return 0, 0, err
	}
	return h[3], h[4], nil
}

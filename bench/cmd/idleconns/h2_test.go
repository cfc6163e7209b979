package main

import (
	"bufio"
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestH2Handshake: the server's SETTINGS (with one setting), a WINDOW_UPDATE
// and the ACK of ours; the client writes the preface, its SETTINGS and one
// ACK (RFC 9113 section 3.4).
func TestH2Handshake(t *testing.T) {
	server := []byte{
		0, 0, 6, 0x4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100, // SETTINGS MAX_CONCURRENT_STREAMS 100
		0, 0, 4, 0x8, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, // WINDOW_UPDATE
		0, 0, 0, 0x4, 0x1, 0, 0, 0, 0, // SETTINGS ACK
	}
	var out bytes.Buffer
	if err := h2Handshake(&out, bufio.NewReader(bytes.NewReader(server))); err != nil {
		t.Fatal(err)
	}
	want := h2Preface + string(h2Frame(0x4, 0)) + string(h2Frame(0x4, 0x1))
	if out.String() != want {
		t.Errorf("wrote %q, want %q", out.String(), want)
	}
}

func TestH2HandshakeGoAway(t *testing.T) {
	server := []byte{0, 0, 8, 0x7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}
	err := h2Handshake(&bytes.Buffer{}, bufio.NewReader(bytes.NewReader(server)))
	if !errors.Is(err, errH2GoAway) {
		t.Errorf("err = %v, want errH2GoAway", err)
	}
}

// An HTTP/1.1 server answers the preface with a 400 head: not a frame.
func TestH2HandshakeNotHTTP2(t *testing.T) {
	r := bufio.NewReader(strings.NewReader("HTTP/1.1 400 Bad Request\r\n\r\n"))
	if err := h2Handshake(&bytes.Buffer{}, r); err == nil {
		t.Error("no error from an HTTP/1.1 answer")
	}
}

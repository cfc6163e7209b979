package main

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	hessian "github.com/apache/dubbo-go-hessian2"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/rpcx"
)

// rpcEchoErrors is a backend for both protocols that answers each request
// with the protocol's error response carrying "from the backend", under
// the request's id: enough to see a call go through velox and back.
func rpcEchoErrors(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var buf []byte
				chunk := make([]byte, 4096)
				for {
					n, err := c.Read(chunk)
					if err != nil {
						return
					}
					buf = append(buf, chunk[:n]...)
					var p rpcx.Protocol = &rpcx.Bolt{}
					if buf[0] == 0xda {
						p = &rpcx.Dubbo{}
					}
					var f rpcx.Frame
					m, err := p.Decode(buf, &f)
					if err == rpcx.ErrNeedMore {
						continue
					}
					if err != nil {
						return
					}
					if f.Kind == rpcx.KindRequest {
						c.Write(p.AppendError(nil, &f, rpcx.FailRefused, "from the backend"))
					}
					buf = buf[m:]
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// dubboCallFrame is a hessian2 Dubbo request for org.velox.Echo.
func dubboCallFrame(t *testing.T, id byte) []byte {
	e := hessian.NewEncoder()
	for _, v := range []any{"2.0.2", "org.velox.Echo", "", "Echo", "Ljava/lang/String;", "x", map[string]any{"path": "org.velox.Echo"}} {
		if err := e.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	b := e.Buffer()
	return append([]byte{0xda, 0xbb, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, id, 0, 0, byte(len(b) >> 8), byte(len(b))}, b...)
}

// boltCallFrame is a Bolt v1 request with only a service header.
func boltCallFrame(id byte) []byte {
	var meta []byte
	for _, s := range []string{rpcx.BoltHeaderService, "org.velox.Echo:1.0"} {
		meta = binary.BigEndian.AppendUint32(meta, uint32(len(s)))
		meta = append(meta, s...)
	}
	b := []byte{1, 1, 0, 1, 1, 0, 0, 0, id, 1, 0, 0, 0x13, 0x88, 0, 0}
	b = binary.BigEndian.AppendUint16(b, uint16(len(meta)))
	b = binary.BigEndian.AppendUint32(b, 0)
	return append(b, meta...)
}

// callThrough sends frame to addr and reads the answer with p.
func callThrough(t *testing.T, addr string, p rpcx.Protocol, frame []byte) rpcx.Frame {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(frame); err != nil {
		t.Fatal(err)
	}
	var buf []byte
	chunk := make([]byte, 4096)
	for {
		var f rpcx.Frame
		if _, err := p.Decode(buf, &f); err == nil {
			return f
		} else if err != rpcx.ErrNeedMore {
			t.Fatalf("answer: %v", err)
		}
		n, err := c.Read(chunk)
		if err != nil && err != io.EOF || n == 0 {
			t.Fatalf("answer: %v", err)
		}
		buf = append(buf, chunk[:n]...)
	}
}

// TestQuickModeRPCTraffic: `velox proxy --protocol dubbo|bolt|auto` carries
// real calls to the --to backend and back, with the client's ids.
func TestQuickModeRPCTraffic(t *testing.T) {
	backend := rpcEchoErrors(t)
	calls := map[string][]func() (rpcx.Protocol, []byte){
		config.ListenerDubbo: {func() (rpcx.Protocol, []byte) { return &rpcx.Dubbo{}, dubboCallFrame(t, 7) }},
		config.ListenerBolt:  {func() (rpcx.Protocol, []byte) { return &rpcx.Bolt{}, boltCallFrame(7) }},
		config.ListenerAuto: {
			func() (rpcx.Protocol, []byte) { return &rpcx.Dubbo{}, dubboCallFrame(t, 7) },
			func() (rpcx.Protocol, []byte) { return &rpcx.Bolt{}, boltCallFrame(7) },
		},
	}
	for _, proto := range []string{config.ListenerDubbo, config.ListenerBolt, config.ListenerAuto} {
		_, addr := startQuickProtocol(t, proto, backend)
		for _, call := range calls[proto] {
			p, frame := call()
			f := callThrough(t, addr, p, frame)
			if f.Kind != rpcx.KindResponse || f.ID != 7 || f.OK || !bytes.Contains(f.Raw, []byte("from the backend")) {
				t.Errorf("--protocol %s, %s call: kind %v id %d ok %v %q; want the backend's answer to 7", proto, p.Name(), f.Kind, f.ID, f.OK, f.Raw)
			}
		}
	}
}

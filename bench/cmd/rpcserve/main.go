// Command rpcserve is the backend of the benchmark's RPC phase: a Dubbo
// (hessian2) or SOFA Bolt server that answers every request with an OK
// response of the same id, whose value is NAME:ARG (ARG the request's
// string argument, empty when it has none it can read), as the echo
// services of the proxy's end-to-end tests answer. Heartbeats get their
// reply; one-way requests get nothing.
//
//	GOMAXPROCS=1 rpcserve -protocol dubbo -addr 127.0.0.1:20880
//
// A goroutine per connection reads as much as has come, answers every
// whole frame in it, and writes all the answers with one write: through a
// proxy, all requests come on one multiplexed connection, and it answers
// them in batches. It prints "listening ADDR" once it accepts.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"

	"github.com/velox-proxy/velox/bench/rpcwire"
	"github.com/velox-proxy/velox/rpcx"
)

func main() {
	protocol := flag.String("protocol", "dubbo", "dubbo or bolt")
	addr := flag.String("addr", "127.0.0.1:20880", "listen address")
	name := flag.String("name", "rpcserve", "the NAME of every answer")
	flag.Parse()
	s, err := newServer(*protocol, *name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rpcserve:", err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rpcserve:", err)
		os.Exit(1)
	}
	fmt.Println("listening", ln.Addr())
	log.Fatal(s.serve(ln))
}

// server answers the requests of one protocol.
type server struct {
	proto rpcx.Protocol
	name  string
	// answer appends the OK response to request f to dst.
	answer func(dst []byte, f *rpcx.Frame, name string) []byte
}

func newServer(protocol, name string) (*server, error) {
	switch protocol {
	case "dubbo":
		return &server{proto: &rpcx.Dubbo{}, name: name, answer: rpcwire.DubboAnswer}, nil
	case "bolt":
		return &server{proto: &rpcx.Bolt{}, name: name, answer: rpcwire.BoltAnswer}, nil
	}
	return nil, fmt.Errorf("unknown protocol %q (dubbo, bolt)", protocol)
}

func (s *server) serve(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		go s.conn(c)
	}
}

// conn serves one connection until it closes or sends what is no frame.
func (s *server) conn(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 0, 16<<10)
	var out []byte
	var f rpcx.Frame
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, make([]byte, cap(buf))...)[:len(buf)]
		}
		n, err := c.Read(buf[len(buf):cap(buf)])
		if err != nil {
			return
		}
		buf = buf[:len(buf)+n]
		rest := buf
		for len(rest) > 0 {
			k, err := s.proto.Decode(rest, &f)
			if err == rpcx.ErrNeedMore {
				break
			}
			if err != nil {
				return
			}
			out = s.reply(out, &f)
			rest = rest[k:]
		}
		buf = buf[:copy(buf, rest)]
		if len(out) > 0 {
			if _, err := c.Write(out); err != nil {
				return
			}
			out = out[:0]
		}
	}
}

// reply appends the answer to f, if it wants one, to dst.
func (s *server) reply(dst []byte, f *rpcx.Frame) []byte {
	switch f.Kind {
	case rpcx.KindRequest:
		return s.answer(dst, f, s.name)
	case rpcx.KindHeartbeat:
		return s.proto.AppendHeartbeatReply(dst, f)
	}
	return dst
}

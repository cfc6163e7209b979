package main

// rpcserve's answers read by the real clients: dubbo-go v3.3.2's (built
// from internal/dubbopeer) and sofa-rpc-node 2.10.0's (internal/rpcpeer's
// sofarpc.js), each making calls of Echo/echo and checking that every
// answer is NAME:ARG for its own argument. Skipped with -short, and
// without node for the Bolt client.

import (
	"net"
	"strconv"
	"testing"

	"github.com/velox-proxy/velox/internal/rpcpeer"
)

// serve runs rpcserve's server of protocol on a loopback port for the
// test and returns its address.
func serve(t *testing.T, protocol string) string {
	t.Helper()
	s, err := newServer(protocol, "rpcserve")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go s.serve(ln)
	return ln.Addr().String()
}

// runClient runs a client peer in dir and returns what it prints.
func runClient(t *testing.T, dir, name string, args ...string) rpcpeer.Result {
	t.Helper()
	var r rpcpeer.Result
	rpcpeer.RunJSON(t, &r, dir, name, args...)
	return r
}

// The dubbo-go client calls Echo("hello#i") 200 times, 8 at once, and
// checks each answer is "rpcserve:hello#i".
func TestDubboGoClientReadsAnswers(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the dubbo-go peer is not built")
	}
	addr := serve(t, "dubbo")
	const calls = 200
	r := runClient(t, "", rpcpeer.DubboPeer(t), "client", "-addr", addr, "-interface", "org.velox.Echo", "-version", "1.0",
		"-calls", strconv.Itoa(calls), "-conc", "8", "-timeout", "5s", "-arg", "hello")
	if r.OK != calls || r.Failed != 0 || r.Servers["rpcserve"] != calls {
		t.Errorf("dubbo-go client: %+v, want %d answers from rpcserve", r, calls)
	}
}

// The sofa-rpc-node client calls echo("hello#i") 200 times, 8 at once
// over 2 connections, and checks each answer is "rpcserve:hello#i".
func TestSofaRPCNodeClientReadsAnswers(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no node peers")
	}
	rpcpeer.Node(t) // skips without node; npm ci when node_modules is missing or stale
	addr := serve(t, "bolt")
	const calls = 200
	r := runClient(t, rpcpeer.Dir(), "node", "sofarpc.js", "client", addr, "org.velox.Echo", "1.0",
		strconv.Itoa(calls), "8", "2", "5000", "hello")
	if r.OK != calls || r.Failed != 0 || r.Servers["rpcserve"] != calls {
		t.Errorf("sofa-rpc-node client: %+v, want %d answers from rpcserve", r, calls)
	}
}

package main

// rpcload's requests against the real libraries: decoded by
// dubbo-go-hessian2 (dubbo-go's codec) and by sofa-bolt-node, and served
// by a dubbo-go v3.3.2 server (internal/dubbopeer) and a sofa-rpc-node
// 2.10.0 server (internal/rpcpeer's sofarpc.js), which must answer every
// request of a short closed-loop run OK with its own id. Servers run on
// 127.0.0.1, bounded in time; -short skips the ones that need building or
// node.

import (
	"bufio"
	"bytes"
	"net"
	"strconv"
	"testing"
	"time"

	hessian "github.com/apache/dubbo-go-hessian2"

	"github.com/velox-proxy/velox/bench/rpcwire"
	"github.com/velox-proxy/velox/internal/rpcpeer"
	"github.com/velox-proxy/velox/rpcx"
)

var testCall = rpcwire.Call{Service: "org.velox.Echo", Version: "1.0", Arg: "hello", App: "rpcload", TimeoutMs: 3000}

func call(method string) rpcwire.Call { c := testCall; c.Method = method; return c }

// frameWithID is protocol's request frame with id written by rpcx.
func frameWithID(t *testing.T, protocol string, c rpcwire.Call, id uint64) []byte {
	t.Helper()
	f, err := rpcwire.RequestFrame(protocol, c)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := rpcwire.ProtocolOf(protocol)
	p.SetID(f, id)
	return f
}

// dubbo-go-hessian2 reads the request as dubbo-go's server does.
func TestDubboRequestDecodedByDubboGoHessian2(t *testing.T) {
	frame := frameWithID(t, "dubbo", call("Echo"), 0x0102030405060708)
	codec := hessian.NewHessianCodec(bufio.NewReaderSize(bytes.NewReader(frame), len(frame)+16))
	var h hessian.DubboHeader
	if err := codec.ReadHeader(&h); err != nil {
		t.Fatal(err)
	}
	if h.ID != 0x0102030405060708 || h.Type&hessian.PackageRequest == 0 || h.Type&hessian.PackageRequest_TwoWay == 0 {
		t.Fatalf("header %+v: want a two-way request with id 0x0102030405060708", h)
	}
	body := make([]any, 7)
	if err := codec.ReadBody(body); err != nil {
		t.Fatal(err)
	}
	want := []any{"2.0.2", "org.velox.Echo", "1.0", "Echo", "Ljava/lang/String;"}
	for i, w := range want {
		if body[i] != w {
			t.Errorf("body field %d = %v, want %v", i, body[i], w)
		}
	}
	if args, _ := body[5].([]any); len(args) != 1 || args[0] != "hello" {
		t.Errorf("args %#v, want [hello]", body[5])
	}
	att, _ := body[6].(map[string]string)
	for k, v := range map[string]string{"path": "org.velox.Echo", "interface": "org.velox.Echo", "version": "1.0"} {
		if att[k] != v {
			t.Errorf("attachment %s = %v, want %s (all: %v)", k, att[k], v, att)
		}
	}
}

// sofa-bolt-node reads the request as sofa-rpc-node's server does.
func TestBoltRequestDecodedBySofaBoltNode(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no node peers")
	}
	d, err := rpcpeer.Node(t).Decode(frameWithID(t, "bolt", call("echo"), 0x01020304))
	if err != nil {
		t.Fatal(err)
	}
	if d.PacketType != "request" || d.PacketID != 0x01020304 || d.ClassName != rpcwire.BoltRequestClass || d.Timeout != 3000 {
		t.Errorf("decoded %+v: want request 0x01020304 of class %s, timeout 3000", d, rpcwire.BoltRequestClass)
	}
	if d.Data.Service != "org.velox.Echo:1.0" || d.Data.Method != "echo" || len(d.Data.Args) != 1 || d.Data.Args[0] != "hello" {
		t.Errorf("call %+v: want org.velox.Echo:1.0 echo(hello)", d.Data)
	}
	if d.Header["service"] != "org.velox.Echo:1.0" {
		t.Errorf("header map %v: want service org.velox.Echo:1.0", d.Header)
	}
}

func freeAddr(t *testing.T) (string, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	return "127.0.0.1:" + strconv.Itoa(port), port
}

// checkRun runs rpcload's closed loop against addr for a second: 4
// connections, 2 requests outstanding on each; the real server must
// answer every one OK with its own id.
func checkRun(t *testing.T, protocol, addr string) {
	t.Helper()
	o := options{protocol: protocol, addr: addr, call: call(map[string]string{"dubbo": "Echo", "bolt": "echo"}[protocol]),
		conns: 4, depth: 2, threads: 1, dur: time.Second, warm: 200 * time.Millisecond, drain: time.Second}
	res, err := run(o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || res.Requests < 10 || res.Conns != 4 {
		t.Errorf("%+v: want answers on all 4 connections and no error", res)
	}
}

func TestDubboGoServerAnswersRPCLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the dubbo-go peer is not built")
	}
	bin := rpcpeer.DubboPeer(t)
	addr, port := freeAddr(t)
	rpcpeer.Start(t, addr, "", bin, "server", "-port", strconv.Itoa(port), "-interface", "org.velox.Echo", "-version", "1.0", "-name", "dubbo-go")
	checkRun(t, "dubbo", addr)
}

func TestSofaRPCNodeServerAnswersRPCLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no node peers")
	}
	rpcpeer.Node(t) // skips without node; npm ci when node_modules is missing or stale
	addr, port := freeAddr(t)
	rpcpeer.Start(t, addr, rpcpeer.Dir(), "node", "sofarpc.js", "server", strconv.Itoa(port), "org.velox.Echo", "1.0", "sofa")
	checkRun(t, "bolt", addr)
}

// The frames carry the id rpcx writes, in place, and decode as requests.
func TestFramesTakeIDs(t *testing.T) {
	for _, protocol := range []string{"dubbo", "bolt"} {
		p, _ := rpcwire.ProtocolOf(protocol)
		f := frameWithID(t, protocol, call("Echo"), 77)
		var fr rpcx.Frame
		n, err := p.Decode(f, &fr)
		if err != nil || n != len(f) || fr.Kind != rpcx.KindRequest || fr.ID != 77 {
			t.Errorf("%s: decoded %d of %d bytes, %v, kind %v id %d: want a whole request with id 77", protocol, n, len(f), err, fr.Kind, fr.ID)
		}
		var h rpcx.Head
		if err := p.Head(&fr, &h); err != nil || string(h.Service) != map[string]string{"dubbo": "org.velox.Echo", "bolt": "org.velox.Echo:1.0"}[protocol] {
			t.Errorf("%s: head %q, %v", protocol, h.Service, err)
		}
	}
}

package proxy

// TLS toward RPC backends (cluster tls behind a dubbo or bolt listener,
// rpc_pool.go): a Go backend behind crypto/tls that decodes each request
// with rpcx and answers it, the requests being the real libraries'
// encodings (rpcFrames).

import (
	"crypto/tls"
	"io"
	"net"
	"sync/atomic"
	"testing"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/rpcx"
)

// tlsRPCBackend serves proto behind TLS with a certificate for 127.0.0.1
// from ca: each request (of len(req) bytes) is answered with resp under
// its id. It returns its address and the count of requests it read.
func tlsRPCBackend(t *testing.T, ca *testCA, proto rpcx.Protocol, req, resp []byte) (string, *atomic.Int64) {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{ca.issue(t, "127.0.0.1")}})
	if err != nil {
		t.Fatal(err)
	}
	var reqs atomic.Int64
	addr := serveOn(t, ln, func(c net.Conn) {
		in, out := make([]byte, len(req)), append([]byte(nil), resp...)
		var f rpcx.Frame
		for {
			if _, err := io.ReadFull(c, in); err != nil {
				return
			}
			if _, err := proto.Decode(in, &f); err != nil || f.Kind != rpcx.KindRequest {
				return
			}
			reqs.Add(1)
			proto.SetID(out, f.ID)
			if _, err := c.Write(out); err != nil {
				return
			}
		}
	})
	return addr, &reqs
}

// sendRPC writes n copies of req with ids 1..n in one write (so they all
// reach velox while its upstream connection is still being made) and
// reads n frames back, by id.
func sendRPC(t *testing.T, addr string, proto rpcx.Protocol, req []byte, n int) map[uint64]rpcx.Frame {
	t.Helper()
	conn := dialRPC(t, addr, proto)
	var all []byte
	for id := 1; id <= n; id++ {
		r := append([]byte(nil), req...)
		proto.SetID(r, uint64(id))
		all = append(all, r...)
	}
	if _, err := conn.Write(all); err != nil {
		t.Fatal(err)
	}
	got := map[uint64]rpcx.Frame{}
	for len(got) < n {
		_, f, err := conn.readFrame()
		if err != nil {
			t.Fatalf("after %d answers: %v", len(got), err)
		}
		got[f.ID] = f
	}
	return got
}

// tlsRPCCase is one RPC protocol with its TLS backend (tlsRPCBackend):
// the request it answers, the CA of its certificate, its address and the
// count of requests it read.
type tlsRPCCase struct {
	proto rpcx.Protocol
	name  string
	req   []byte
	ca    *testCA
	addr  string
	reqs  *atomic.Int64
}

// runTLSRPC runs f once per RPC protocol, with a TLS backend of it.
func runTLSRPC(t *testing.T, f func(t *testing.T, c tlsRPCCase)) {
	frames := rpcFrames(t)
	for _, proto := range []rpcx.Protocol{&rpcx.Dubbo{}, &rpcx.Bolt{}} {
		name := proto.Name()
		t.Run(name, func(t *testing.T) {
			fr := frames[name]
			c := tlsRPCCase{proto: proto, name: name, req: fr[0], ca: newTestCA(t)}
			c.addr, c.reqs = tlsRPCBackend(t, c.ca, proto, fr[0], fr[1])
			f(t, c)
		})
	}
}

// proxy runs a proxy with a listener of c's protocol whose cluster "c"
// has backends, reached over TLS verified against the CA in caFile.
func (c tlsRPCCase) proxy(t *testing.T, caFile string, backends ...string) *testProxy {
	t.Helper()
	cfg := dubboConfig(backends...)
	cfg.Listeners[0].Protocol = c.name
	cfg.Clusters[0].TLS = &config.UpstreamTLS{CA: caFile}
	return startRPCProxy(t, cfg, c.name)
}

// wantAnswered checks that the backend answered requests 1..n of got.
func wantAnswered(t *testing.T, got map[uint64]rpcx.Frame, n int) {
	t.Helper()
	for id := uint64(1); id <= uint64(n); id++ {
		if f := got[id]; f.Kind != rpcx.KindResponse || !f.OK {
			t.Errorf("request %d: kind %v ok %v status %d, want the backend's answer", id, f.Kind, f.OK, f.Status)
		}
	}
}

// TestRPCUpstreamTLS: requests sent while the TLS connection to the
// backend is being made wait for its handshake, then are answered; a
// backend whose certificate does not verify gets nothing, and each
// pending request gets the protocol's no-backend error.
func TestRPCUpstreamTLS(t *testing.T) {
	notFound := map[string]uint16{"dubbo": uint16(rpcx.DubboServiceNotFound), "bolt": uint16(rpcx.BoltNoProcessor)}
	runTLSRPC(t, func(t *testing.T, c tlsRPCCase) {
		tp := c.proxy(t, c.ca.File, c.addr)
		wantAnswered(t, sendRPC(t, tp.addr, c.proto, c.req, 3), 3)
		if c.reqs.Load() != 3 {
			t.Errorf("backend read %d requests, want 3", c.reqs.Load())
		}
		if st := tp.Stats().UpTLS; len(st) != 1 || st[0].Handshakes != 1 {
			t.Errorf("/stats upstream_tls %+v, want one handshake", st)
		}

		// The same backend, verified against another CA.
		tp = c.proxy(t, newTestCA(t).File, c.addr)
		got := sendRPC(t, tp.addr, c.proto, c.req, 3)
		for id := uint64(1); id <= 3; id++ {
			if f := got[id]; f.Kind != rpcx.KindResponse || f.OK || f.Status != notFound[c.name] {
				t.Errorf("wrong CA, request %d: kind %v ok %v status %d, want no backend (%d)", id, f.Kind, f.OK, f.Status, notFound[c.name])
			}
		}
		if st := tp.Stats().UpTLS; len(st) != 1 || st[0].ServerCert == 0 || st[0].Handshakes != 0 {
			t.Errorf("/stats upstream_tls %+v, want refused certificates only", st)
		}
		if st := tp.rpcTotals(c.name); st.NoBackend != 3 {
			t.Errorf("no_backend_total %d, want 3", st.NoBackend)
		}
		if c.reqs.Load() != 3 {
			t.Errorf("backend read %d requests in all, want the first 3 only", c.reqs.Load())
		}
	})
}

// TestRPCUpstreamTLSRetry: requests whose connect was refused go to the
// next backend, a TLS one whose handshake may still be under way: they
// wait for it there too (none goes out in plaintext before the
// ClientHello), and each is answered once.
func TestRPCUpstreamTLSRetry(t *testing.T) {
	runTLSRPC(t, func(t *testing.T, c tlsRPCCase) {
		tp := c.proxy(t, c.ca.File, deadAddr(t), c.addr)
		const n = 6
		wantAnswered(t, sendRPC(t, tp.addr, c.proto, c.req, n), n)
		if c.reqs.Load() != n || tp.totals().UpstreamRetriesTotal == 0 {
			t.Errorf("backend read %d requests, %d retries; want %d, the refused connects retried", c.reqs.Load(), tp.totals().UpstreamRetriesTotal, n)
		}
	})
}

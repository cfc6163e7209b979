package proxy

// RPC listeners with tls and proxy_protocol: the same TLS termination and
// PROXY header reading as http and tcp listeners, in front of the RPC
// frames (the requests are the real libraries' encodings, rpcFrames; the
// backend a raw one answering each with the library's response).

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/rpcx"
)

// rawAnswering is a backend that answers each request of len(req) bytes
// with resp under the request's id.
func rawAnswering(t testing.TB, proto rpcx.Protocol, req, resp []byte) string {
	return serveRaw(t, func(c net.Conn) {
		in, out := make([]byte, len(req)), append([]byte(nil), resp...)
		var f rpcx.Frame
		for {
			if _, err := io.ReadFull(c, in); err != nil {
				return
			}
			if _, err := proto.Decode(in, &f); err != nil {
				return
			}
			proto.SetID(out, f.ID)
			if _, err := c.Write(out); err != nil {
				return
			}
		}
	})
}

// askRPC writes req with id over c and reads the answer.
func askRPC(t *testing.T, c net.Conn, proto rpcx.Protocol, req []byte, id uint64) rpcx.Frame {
	t.Helper()
	r := append([]byte(nil), req...)
	proto.SetID(r, id)
	c.SetDeadline(time.Now().Add(testWait))
	if _, err := c.Write(r); err != nil {
		t.Fatal(err)
	}
	rc := &rpcConn{Conn: c, r: bufio.NewReader(c), proto: proto}
	_, f, err := rc.readFrame()
	if err != nil {
		t.Fatalf("answer to %d: %v", id, err)
	}
	return f
}

// TestRPCListenerTLS: a dubbo and a bolt listener terminate TLS; the
// Handshake filter sees the SNI; a client that is not TLS is closed.
func TestRPCListenerTLS(t *testing.T) {
	frames := rpcFrames(t)
	for _, proto := range []rpcx.Protocol{&rpcx.Dubbo{}, &rpcx.Bolt{}} {
		name := proto.Name()
		t.Run(name, func(t *testing.T) {
			fr := frames[name]
			e := newTLSEnv(t, rawAnswering(t, proto, fr[0], fr[1]), []string{"rpc.example.com"})
			cfg := dubboConfig(e.cfg.Clusters[0].Backends[0].Address)
			cfg.Listeners[0].Protocol = name
			cfg.Listeners[0].TLS = e.cfg.Listeners[0].TLS
			tp := startRPCProxy(t, cfg, name)
			var mu sync.Mutex
			var sni []string
			tp.RegisterConn(Handshake, ConnFilterFunc(func(c *Session) Verdict {
				if info := c.TLS(); info != nil {
					mu.Lock()
					sni = append(sni, info.ServerName)
					mu.Unlock()
				}
				return Continue
			}))
			c, err := tls.Dial("tcp", tp.addr, &tls.Config{RootCAs: e.ca.pool, ServerName: "rpc.example.com"})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for id := uint64(1); id <= 3; id++ {
				if f := askRPC(t, c, proto, fr[0], id); f.Kind != rpcx.KindResponse || f.ID != id || !f.OK {
					t.Errorf("answer %d over TLS: kind %v id %d ok %v", id, f.Kind, f.ID, f.OK)
				}
			}
			mu.Lock()
			if len(sni) != 1 || sni[0] != "rpc.example.com" {
				t.Errorf("Handshake filter saw SNI %q", sni)
			}
			mu.Unlock()
			plain := dialRPC(t, tp.addr, proto)
			plain.Write(fr[0])
			if _, _, err := plain.readFrame(); err == nil {
				t.Error("a plaintext frame to a TLS listener was answered")
			}
		})
	}
}

// TestRPCListenerProxyProtocol: a trusted source's PROXY header names the
// client of an RPC connection (the Accept filter sees it), with and
// without tls on the listener; the frame after it is answered.
func TestRPCListenerProxyProtocol(t *testing.T) {
	frames := rpcFrames(t)
	proto := &rpcx.Bolt{}
	fr := frames["bolt"]
	for _, withTLS := range []bool{false, true} {
		e := newTLSEnv(t, rawAnswering(t, proto, fr[0], fr[1]), []string{"rpc.example.com"})
		cfg := boltConfig(e.cfg.Clusters[0].Backends[0].Address)
		cfg.Listeners[0].ProxyProtocol = &config.ProxyProtocol{Trusted: []string{"127.0.0.1"}}
		if withTLS {
			cfg.Listeners[0].TLS = e.cfg.Listeners[0].TLS
		}
		tp := startRPCProxy(t, cfg, "bolt")
		ips := make(chan string, 4)
		tp.RegisterConn(Accept, ConnFilterFunc(func(c *Session) Verdict {
			ips <- string(c.RemoteIP())
			return Continue
		}))
		raw, err := net.Dial("tcp", tp.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if _, err := raw.Write(v2Header(t, "192.0.2.7")); err != nil {
			t.Fatal(err)
		}
		var c net.Conn = raw
		if withTLS {
			tc := tls.Client(raw, &tls.Config{RootCAs: e.ca.pool, ServerName: "rpc.example.com"})
			if err := tc.Handshake(); err != nil {
				t.Fatalf("handshake after the PROXY header: %v", err)
			}
			c = tc
		}
		if f := askRPC(t, c, proto, fr[0], 5); f.Kind != rpcx.KindResponse || f.ID != 5 || !f.OK {
			t.Errorf("tls %v: answer kind %v id %d ok %v", withTLS, f.Kind, f.ID, f.OK)
		}
		select {
		case ip := <-ips:
			if ip != "192.0.2.7" {
				t.Errorf("tls %v: the Accept filter saw client %q, want the header's 192.0.2.7", withTLS, ip)
			}
		case <-time.After(testWait):
			t.Fatalf("tls %v: no Accept filter call", withTLS)
		}
	}
}

// TestRPCAutoListenerTLS: an auto listener with tls takes an HTTP/2
// client (ALPN h2) and a Dubbo client on one port.
func TestRPCAutoListenerTLS(t *testing.T) {
	fr := rpcFrames(t)["dubbo"]
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Proto) })
	e := newTLSEnv(t, o.addr(), []string{"example.com"})
	cfg := e.cfg
	cfg.Products[0].Hosts = []string{"example.com"}
	cfg.DefaultProduct = ""
	cfg.Clusters = append(cfg.Clusters, config.Cluster{Name: "rpc", Backends: []config.Backend{{Address: rawAnswering(t, &rpcx.Dubbo{}, fr[0], fr[1])}}})
	cfg.Listeners[0].Protocol, cfg.Listeners[0].Cluster = config.ListenerAuto, "rpc"
	tp := startRPCProxy(t, cfg, "dubbo")
	if resp, body := tlsGet(t, e.client(tp, "example.com", true), "https://example.com/"); resp.StatusCode != 200 || body != "HTTP/1.1" || resp.ProtoMajor != 2 {
		t.Errorf("HTTP/2 client: %d %s, origin saw %q", resp.StatusCode, resp.Proto, body)
	}
	c, err := tls.Dial("tcp", tp.addr, &tls.Config{RootCAs: e.ca.pool, ServerName: "example.com"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if f := askRPC(t, c, &rpcx.Dubbo{}, fr[0], 9); f.Kind != rpcx.KindResponse || f.ID != 9 || !f.OK {
		t.Errorf("Dubbo over TLS on the auto listener: kind %v id %d ok %v", f.Kind, f.ID, f.OK)
	}
	for _, tr := range tp.clients {
		tr.CloseIdleConnections() // the leak check counts client connections
	}
}

package proxy

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	hessian "github.com/apache/dubbo-go-hessian2"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/head"
	"github.com/velox-proxy/velox/internal/rpcpeer"
	"github.com/velox-proxy/velox/rpcx"
)

// Filters on RPC requests: the products/routes config filters and the Go
// API's callback points, with real clients and servers.

// A deny filter on a route answers the call itself in the protocol's
// terms, with the filter's body as the message; calls to another route
// of the product are served.
func TestRPCDenyFilterOnARoute(t *testing.T) {
	runRPC(t, func(t *testing.T, k rpcKind) {
		srv := k.server(t, echoService, "1.0", "a")
		other := k.server(t, "org.velox.Other", "1.0", "o")
		cfg := versionRoutes(k.name, srv.Addr, srv.Addr, other.Addr, k.otherRoute)
		cfg.Products[0].Routes = append(cfg.Products[0].Routes, config.Route{Prefix: "/" + echoService + "/", Cluster: "v1",
			Filters: []config.Filter{{Type: config.FilterDeny, Status: 403, Body: "echo is closed today"}}})
		tp := startRPCProxy(t, cfg, k.name)
		r := k.call(t, tp.addr, echoService, "1.0", 3, 1, 5*time.Second, "x")
		if r.Failed != 3 {
			t.Fatalf("denied calls: %+v, want 3 failures", r)
		}
		if !strings.Contains(r.Errors[0], "echo is closed today") {
			t.Errorf("the client says %q, want the filter's message", r.Errors[0])
		}
		if r := k.call(t, tp.addr, "org.velox.Other", "1.0", 3, 1, 5*time.Second, "x"); r.OK != 3 || r.Servers["o"] != 3 {
			t.Errorf("another product: %+v, want 3 answers from o", r)
		}
		if st := tp.rpcTotals(k.name); st.Refused != 3 || st.ResponsesOK != 3 {
			t.Errorf("stats %+v: want 3 refused, 3 ok", st)
		}
	})
}

// The Bolt answer of a deny filter carries the status it maps to and the
// message, as sofa-bolt-node reads them.
func TestRPCBoltFilterAnswerReadByLibrary(t *testing.T) {
	peer := rpcpeer.Node(t)
	srv := boltServer(t, echoService, "1.0", "a")
	cfg := boltConfig(srv.Addr)
	cfg.Filters = []config.Filter{{Type: config.FilterDeny, Point: "before_location", Status: 429, Body: "slow down"}}
	tp := startRPCProxy(t, cfg, "bolt")
	conn := dialRPC(t, tp.addr, &rpcx.Bolt{})
	frame, err := peer.Encode(map[string]any{"op": "request", "id": 5, "service": echoService + ":1.0", "method": "echo", "args": []any{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(frame); err != nil {
		t.Fatal(err)
	}
	raw, f, err := conn.readFrame()
	if err != nil || f.Kind != rpcx.KindResponse || f.ID != 5 || f.OK {
		t.Fatalf("answer: kind %v id %d ok %v, %v", f.Kind, f.ID, f.OK, err)
	}
	d, err := peer.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if rpcx.BoltStatus(f.Status) != rpcx.BoltServerThreadpoolBusy || d.PacketType != "response" || d.Header[rpcx.BoltHeaderError] != "slow down" {
		t.Errorf("status %#x; sofa-bolt-node reads %s with header %v; want threadpool busy (429) and the message", f.Status, d.PacketType, d.Header)
	}
}

// The Go API's callback points run for RPC calls with the neutral head:
// before_location sees the service, method and version; read_response
// sees the backend's status; request_finish runs once per call; accept
// and finish once per connection. A read_response filter may replace the
// answer.
func TestRPCCallbackPoints(t *testing.T) {
	runRPC(t, func(t *testing.T, k rpcKind) {
		srv := k.server(t, echoService, "1.0", "a")
		tp := startRPCProxy(t, k.config(srv.Addr), k.name)
		var mu sync.Mutex
		var seen []string
		var finished, accepted, closed, responses atomic.Int32
		tp.Register(BeforeLocation, RequestFilterFunc(func(s *Stream) Verdict {
			r := s.Request()
			mu.Lock()
			seen = append(seen, string(r.Host)+" "+string(r.Path)+" "+string(headerValue(r.Headers, "version")))
			mu.Unlock()
			return Continue
		}))
		tp.Register(ReadResponse, RequestFilterFunc(func(s *Stream) Verdict {
			resp := s.Response()
			if resp == nil || resp.Status != 200 || len(headerValue(resp.Headers, "rpc-status")) == 0 || s.Cluster() != "c" {
				t.Errorf("read_response sees %+v cluster %q", resp, s.Cluster())
			}
			if responses.Add(1) == 3 {
				return s.Respond(503, "", nil, []byte("third answer replaced"))
			}
			return Continue
		}))
		tp.Register(RequestFinish, RequestFilterFunc(func(s *Stream) Verdict {
			if string(s.Request().Host) != echoService {
				t.Errorf("request_finish sees host %q", s.Request().Host)
			}
			finished.Add(1)
			return Continue
		}))
		tp.RegisterConn(Accept, ConnFilterFunc(func(c *Session) Verdict { accepted.Add(1); return Continue }))
		tp.RegisterConn(Finish, ConnFilterFunc(func(c *Session) Verdict { closed.Add(1); return Continue }))
		r := k.call(t, tp.addr, echoService, "1.0", 4, 1, 5*time.Second, "x")
		if r.OK != 3 || r.Failed != 1 {
			t.Errorf("calls: %+v, want 3 answers and the replaced one failed", r)
		}
		mu.Lock()
		if len(seen) != 4 || !strings.EqualFold(seen[0], echoService+" /"+echoService+"/echo 1.0") {
			t.Errorf("before_location saw %q", seen)
		}
		mu.Unlock()
		eventually(t, "finish filters", func() bool { return closed.Load() >= 1 && closed.Load() == accepted.Load() })
		if finished.Load() != 4 {
			t.Errorf("request_finish ran %d times, want 4", finished.Load())
		}
	})
}

func headerValue(fs []head.Field, name string) []byte {
	for _, f := range fs {
		if string(f.Name) == name {
			return f.Value
		}
	}
	return nil
}

// A filter that changes an RPC request's fields changes the frame too, so
// that the backend reads what routing saw: a set_request_header of the
// version routes the call to the 2.0 server, and that dubbo-go server
// (which serves 2.0 only) answers it. A Bolt call's version names its
// service in the content, which velox does not rewrite: that change is
// refused with the bad-request error and a log line. An Accept filter that
// closes a connection closes it before any frame is read.
func TestRPCFilterChangesReachTheBackend(t *testing.T) {
	runRPC(t, func(t *testing.T, k rpcKind) {
		v1 := k.server(t, echoService, "1.0", "v1")
		v2 := k.server(t, echoService, "2.0", "v2")
		cfg := versionRoutes(k.name, v1.Addr, v2.Addr, v1.Addr, k.otherRoute)
		cfg.Filters = []config.Filter{{Type: config.FilterSetRequestHeader, Point: "before_location", Name: "version", Value: "2.0"}}
		tp := startRPCProxy(t, cfg, k.name)
		r := k.call(t, tp.addr, echoService, "1.0", 3, 1, 5*time.Second, "x")
		st := tp.rpcTotals(k.name)
		if k.name == config.ListenerDubbo {
			if r.OK != 3 || r.Servers["v2"] != 3 {
				t.Errorf("calls for 1.0 that a filter moved to 2.0: %+v, want 3 answers from v2", r)
			}
			return
		}
		if r.Failed != 3 || st.BadRequest != 3 || st.ResponsesOK != 0 {
			t.Errorf("bolt calls whose version a filter changed: %+v, stats %+v; want 3 bad requests", r, st)
		}
		eventually(t, "the log line", func() bool { return strings.Contains(tp.log.String(), "cannot be written into the frame") })

		tp.RegisterConn(Accept, ConnFilterFunc(func(c *Session) Verdict { return CloseConn }))
		conn := dialRPC(t, tp.addr, &rpcx.Bolt{})
		if _, _, err := conn.readFrame(); err == nil {
			t.Errorf("a connection an Accept filter closed read a frame")
		}
	})
}

// An attachment a filter adds reaches a raw Dubbo backend in the frame,
// and dubbo-go's own codec would read it there (rpcx's differential tests
// check the bytes); the backend's answer comes back.
func TestRPCFilterAddsAnAttachment(t *testing.T) {
	got := make(chan string, 1)
	// dubbo-go's client peer checks the answer is "<server>:<its argument>":
	// one call with argument "x" sends "x#0".
	backend := rawRPCBackend(t, &rpcx.Dubbo{}, "raw:x#0", func(f *rpcx.Frame, h *rpcx.Head) {
		v, ok, err := h.Lookup("tenant")
		if !ok || err != nil {
			v = []byte(fmt.Sprintf("missing (%v)", err))
		}
		select {
		case got <- string(v):
		default:
		}
	})
	cfg := dubboConfig(backend)
	cfg.Filters = []config.Filter{{Type: config.FilterAddRequestHeader, Point: "after_location", Name: "tenant", Value: "acme"}}
	tp := startRPCProxy(t, cfg, "dubbo")
	if r := dubboCall(t, tp.addr, echoService, "1.0", 1, 1, 5*time.Second, "x"); r.OK != 1 {
		t.Errorf("call: %+v", r)
	}
	if v := <-got; v != "acme" {
		t.Errorf("the backend reads tenant %q, want acme", v)
	}
}

// A Dubbo call whose attachments name another service than its leading
// path (the provider calls the attachments' one) is refused: routing must
// not see one service while the backend calls another.
func TestRPCDubboTwoServicesInOneCallRefused(t *testing.T) {
	srv := dubboServer(t, echoService, "1.0", "a")
	tp := startRPCProxy(t, dubboConfig(srv.Addr), "dubbo")
	conn := dialRPC(t, tp.addr, &rpcx.Dubbo{})
	if _, err := conn.Write(dubboRawRequest(t, 7, "org.velox.Public", map[string]any{"path": echoService, "version": "1.0"})); err != nil {
		t.Fatal(err)
	}
	_, f, err := conn.readFrame()
	if err != nil || f.Kind != rpcx.KindResponse || f.ID != 7 || rpcx.DubboStatus(f.Status) != rpcx.DubboBadRequest {
		t.Fatalf("answer: kind %v id %d status %d, %v; want bad request", f.Kind, f.ID, f.Status, err)
	}
	if st := tp.rpcTotals("dubbo"); st.BadRequest != 1 || st.ResponsesOK != 0 {
		t.Errorf("stats %+v: want 1 bad request, nothing forwarded", st)
	}
}

// rawRPCBackend serves proto frames on a socket of its own: each request
// (one-way too) is shown to seen; a Dubbo request is answered OK with the
// string answer (hessian2 RESPONSE_VALUE, a string under 32 bytes).
func rawRPCBackend(t *testing.T, proto rpcx.Protocol, answer string, seen func(*rpcx.Frame, *rpcx.Head)) string {
	return serveRaw(t, func(c net.Conn) {
		var buf []byte
		chunk := make([]byte, 64<<10)
		for {
			n, err := c.Read(chunk)
			if err != nil {
				return
			}
			buf = append(buf, chunk[:n]...)
			for {
				var f rpcx.Frame
				m, err := proto.Decode(buf, &f)
				if err == rpcx.ErrNeedMore {
					break
				}
				if err != nil {
					return
				}
				if f.Kind == rpcx.KindRequest || f.Kind == rpcx.KindOneway {
					var h rpcx.Head
					if proto.Head(&f, &h) == nil {
						seen(&f, &h)
					}
				}
				if f.Kind == rpcx.KindRequest && proto.Name() == "dubbo" {
					body := append([]byte{0x91, byte(len(answer))}, answer...)
					out := []byte{0xda, 0xbb, rpcx.DubboHessian2, byte(rpcx.DubboOK), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(len(body))}
					proto.SetID(out, f.ID)
					if _, err := c.Write(append(out, body...)); err != nil {
						return
					}
				}
				buf = buf[m:]
			}
		}
	})
}

// One-way requests written while their upstream connection connects go to
// the next backend when that connect is refused, like two-way ones: each
// of them reaches the live backend once, and none stays in flight.
func TestRPCOnewayConnectFailureRetried(t *testing.T) {
	peer := rpcpeer.Node(t)
	got := make(chan uint64, 16)
	live := rawRPCBackend(t, &rpcx.Bolt{}, "", func(f *rpcx.Frame, h *rpcx.Head) {
		if f.Kind == rpcx.KindOneway {
			got <- f.ID
		}
	})
	tp := startRPCProxy(t, boltConfig(deadAddr(t), live), "bolt")
	conn := dialRPC(t, tp.addr, &rpcx.Bolt{})
	const n = 4
	for i := range n {
		frame, err := peer.Encode(map[string]any{"op": "request", "id": i + 1, "service": echoService + ":1.0", "method": "echo", "args": []any{"fire"}, "oneway": true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(frame); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[uint64]bool{}
	for len(seen) < n {
		select {
		case id := <-got:
			if seen[id] {
				t.Fatalf("upstream id %d arrived twice", id)
			}
			seen[id] = true
		case <-time.After(testWait):
			t.Fatalf("%d of %d one-way requests reached the live backend", len(seen), n)
		}
	}
	eventually(t, "nothing in flight", func() bool { return tp.rpcTotals("bolt").InFlight == 0 })
	if st := tp.rpcTotals("bolt"); st.Oneway != n || tp.totals().UpstreamRetriesTotal == 0 {
		t.Errorf("stats %+v, retries %d: want %d one-way requests and the refused connect retried", st, tp.totals().UpstreamRetriesTotal, n)
	}
}

// dubboRawRequest is a two-way hessian2 Dubbo request with id, built by
// hand (dubbo-go-hessian2's request encoder writes the path and version
// attachments itself): leading service path, version 1.0, Echo("x"), then
// att.
func dubboRawRequest(t *testing.T, id byte, path string, att map[string]any) []byte {
	return dubboRawCall(t, id, path, "Echo", att)
}

// dubboRawCall is dubboRawRequest of method.
func dubboRawCall(t *testing.T, id byte, path, method string, att map[string]any) []byte {
	t.Helper()
	return dubboRawFrame(id, hessianValues(t, "2.0.2", path, "1.0", method, "Ljava/lang/String;", "x", att))
}

// hessianValues is vals one after another in hessian2.
func hessianValues(t *testing.T, vals ...any) []byte {
	t.Helper()
	e := hessian.NewEncoder()
	for _, v := range vals {
		if err := e.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	return e.Buffer()
}

// dubboRawFrame is a two-way hessian2 Dubbo request frame with id and body.
func dubboRawFrame(id byte, body []byte) []byte {
	frame := append([]byte{0xda, 0xbb, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, id}, byte(len(body)>>24), byte(len(body)>>16), byte(len(body)>>8), byte(len(body)))
	return append(frame, body...)
}

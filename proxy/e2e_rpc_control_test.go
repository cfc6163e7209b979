package proxy

// RPC control frames end to end: client heartbeats that the real libraries
// encode are answered by velox (and read back by those libraries), never
// forwarded; a drain sends Dubbo's readonly event and lets the call in
// flight finish.

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/internal/rpcpeer"
	"github.com/velox-proxy/velox/rpcx"
)

// rpcConn is a raw client connection to an RPC listener.
type rpcConn struct {
	net.Conn
	r     *bufio.Reader
	proto rpcx.Protocol
	buf   []byte
}

func dialRPC(t *testing.T, addr string, proto rpcx.Protocol) *rpcConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(testWait))
	return &rpcConn{Conn: c, r: bufio.NewReader(c), proto: proto}
}

// readFrame reads one whole frame; io.EOF when velox closed first.
func (c *rpcConn) readFrame() ([]byte, rpcx.Frame, error) {
	var f rpcx.Frame
	for {
		if n, err := c.proto.Decode(c.buf, &f); err == nil {
			raw := append([]byte(nil), c.buf[:n]...)
			c.buf = c.buf[n:]
			return raw, f, nil
		} else if err != rpcx.ErrNeedMore {
			return nil, f, err
		}
		var b [4096]byte
		n, err := c.r.Read(b[:])
		c.buf = append(c.buf, b[:n]...)
		if err != nil && n == 0 {
			return nil, f, err
		}
	}
}

// A heartbeat from sofa-bolt-node and one from apache-dubbo-js: velox
// answers each (the library reads the answer as the acknowledgement of
// its heartbeat) and sends nothing upstream.
func TestRPCClientHeartbeatsAnswered(t *testing.T) {
	peer := rpcpeer.Node(t)
	for _, c := range []struct {
		name  string
		proto rpcx.Protocol
		op    map[string]any
	}{
		{"bolt", &rpcx.Bolt{}, map[string]any{"op": "heartbeat", "id": 77}},
		{"dubbo", &rpcx.Dubbo{}, map[string]any{"op": "dubboHeartbeat"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := dubboConfig(deadAddr(t))
			cfg.Listeners[0].Protocol = c.name
			tp := startRPCProxy(t, cfg, c.name)
			hb, err := peer.Encode(c.op)
			if err != nil {
				t.Fatal(err)
			}
			conn := dialRPC(t, tp.addr, c.proto)
			if _, err := conn.Write(hb); err != nil {
				t.Fatal(err)
			}
			reply, f, err := conn.readFrame()
			if err != nil || f.Kind != rpcx.KindHeartbeatAck {
				t.Fatalf("reply: kind %v, %v", f.Kind, err)
			}
			if c.name == "bolt" {
				d, err := peer.Decode(reply)
				if err != nil || d.PacketType != "heartbeat_ack" || d.PacketID != 77 {
					t.Errorf("sofa-bolt-node reads the reply as %+v, %v; want heartbeat_ack 77", d, err)
				}
			} else {
				var d rpcpeer.DubboDecoded
				if err := peer.Call(map[string]any{"op": "dubboDecode", "frame": reply}, &d); err != nil || !d.Heartbeat {
					t.Errorf("apache-dubbo-js reads the reply as %+v, %v; want a heartbeat", d, err)
				}
			}
			conn.Close()
			st := tp.rpcTotals(c.name)
			if st.Heartbeats != 1 || st.Requests != 0 || tp.totals().UpstreamConnectsTotal != 0 {
				t.Errorf("heartbeats %d, requests %d, upstream connects %d: want 1, 0, 0", st.Heartbeats, st.Requests, tp.totals().UpstreamConnectsTotal)
			}
		})
	}
}

// Shutdown while a call is in flight: the Dubbo client gets the readonly
// event, then its response (velox waits for it), then the close.
func TestRPCDubboDrain(t *testing.T) {
	peer := rpcpeer.Node(t)
	srv := dubboServer(t, echoService, "1.0", "drain")
	req, _, err := peer.DubboRequest(map[string]any{"id": 9, "service": echoService, "version": "1.0", "method": "Echo",
		"args": []any{map[string]any{"$class": "java.lang.String", "$": "sleep:300ms"}}})
	if err != nil {
		t.Fatal(err)
	}
	drainWith(t, dubboConfig(srv.Addr), &rpcx.Dubbo{}, req, 9, true)
}

// drainWith runs cfg, sends req (whose id is id) on a client connection
// and shuts the proxy down while it is in flight, then checks what the
// client gets: the readonly event first when readonly, then the response
// to id, then the close; and that Shutdown drained.
func drainWith(t *testing.T, cfg *config.Config, proto rpcx.Protocol, req []byte, id uint64, readonly bool) {
	t.Helper()
	cfg.Timeouts.Drain = config.Duration(testWait)
	tp := startProxy(t, cfg, 1)
	conn := dialRPC(t, tp.addr, proto)
	if _, err := conn.Write(req); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the call in flight", func() bool { return tp.rpcTotals(proto.Name()).InFlight == 1 })
	drained := make(chan bool)
	go func() { drained <- tp.Server.Shutdown() }()
	_, f, err := conn.readFrame()
	if readonly {
		if err != nil || f.Kind != rpcx.KindEvent {
			t.Fatalf("first frame after shutdown: kind %v, %v; want the readonly event", f.Kind, err)
		}
		_, f, err = conn.readFrame()
	}
	if err != nil || f.Kind != rpcx.KindResponse || f.ID != id || !f.OK {
		t.Fatalf("after shutdown: kind %v id %d ok %v, %v; want the response to %d", f.Kind, f.ID, f.OK, err, id)
	}
	if _, _, err := conn.readFrame(); err != io.EOF {
		t.Errorf("after the response: %v, want the connection closed", err)
	}
	if !<-drained {
		t.Error("Shutdown did not drain")
	}
}

// A one-way Bolt request (sofa-bolt-node encodes it) ends when velox has
// written it: no stream waits for it, and the two-way request after it on
// the same connection gets its answer from the sofa-rpc-node server.
func TestRPCBoltOneway(t *testing.T) {
	peer := rpcpeer.Node(t)
	srv := boltServer(t, echoService, "1.0", "ow")
	tp := startRPCProxy(t, boltConfig(srv.Addr), "bolt")
	conn := dialRPC(t, tp.addr, &rpcx.Bolt{})
	for _, op := range []map[string]any{
		{"op": "request", "id": 1, "service": echoService + ":1.0", "method": "echo", "args": []any{"fire"}, "oneway": true},
		{"op": "request", "id": 2, "service": echoService + ":1.0", "method": "echo", "args": []any{"ask"}},
	} {
		frame, err := peer.Encode(op)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(frame); err != nil {
			t.Fatal(err)
		}
	}
	raw, f, err := conn.readFrame()
	if err != nil || f.Kind != rpcx.KindResponse || f.ID != 2 || !f.OK {
		t.Fatalf("first frame back: kind %v id %d ok %v, %v; want the answer to 2", f.Kind, f.ID, f.OK, err)
	}
	if d, err := peer.Decode(raw); err != nil || d.Data.Value != "ow:ask" {
		t.Errorf("sofa-bolt-node reads the answer as %+v, %v", d, err)
	}
	if st := tp.rpcTotals("bolt"); st.Oneway != 1 || st.Requests != 2 || st.InFlight != 0 {
		t.Errorf("stats %+v: want 1 one-way of 2 requests, none in flight", st)
	}
}

// Shutdown while a Bolt call is in flight: Bolt has no drain message, so
// the client gets its response, then the close.
func TestRPCBoltDrain(t *testing.T) {
	peer := rpcpeer.Node(t)
	srv := boltServer(t, echoService, "1.0", "drain")
	req, err := peer.Encode(map[string]any{"op": "request", "id": 4, "service": echoService + ":1.0", "method": "echo", "args": []any{"sleep:300"}})
	if err != nil {
		t.Fatal(err)
	}
	drainWith(t, boltConfig(srv.Addr), &rpcx.Bolt{}, req, 4, false)
}

// Bytes that are no frame of the listener's protocol close that client
// with a log line; a dubbo-go client beside it is served.
func TestRPCUndecodableFrameClosesOnlyItsClient(t *testing.T) {
	srv := dubboServer(t, echoService, "1.0", "ok")
	tp := startRPCProxy(t, dubboConfig(srv.Addr), "dubbo")
	conn := dialRPC(t, tp.addr, &rpcx.Dubbo{})
	if _, err := conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := conn.readFrame(); err != io.EOF {
		t.Errorf("after bytes that are no Dubbo frame: %v, want the connection closed", err)
	}
	if r := dubboCall(t, tp.addr, echoService, "1.0", 5, 5, 5*time.Second, "x"); r.OK != 5 {
		t.Errorf("another client: %+v, want 5 answers", r)
	}
	if n := tp.rpcTotals("dubbo").FrameErrors; n != 1 {
		t.Errorf("frame_errors_total = %d, want 1", n)
	}
	eventually(t, "the log line", func() bool { return strings.Contains(tp.log.String(), "undecodable frame") })
}

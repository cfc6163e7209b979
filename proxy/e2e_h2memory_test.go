package proxy

import (
	"encoding/binary"
	"net"
	"strconv"
	"testing"

	"github.com/velox-proxy/velox/h2"
)

// h2RoundTripper starts a 1-loop velox in front of a raw HTTP/1.1 origin
// and returns a function that makes one GET on one h2c connection, the
// way h2load repeats a request: every stream's HEADERS is the same fully
// indexed block, only the stream id changes. The client runs on fixed
// buffers and parses frames with h2.ReadFrame, so every allocation counted
// would be velox's.
func h2RoundTripper(t testing.TB) func() {
	const body = "hello world\n"
	upstreamReq := "GET /hello HTTP/1.1\r\nHost: velox.test\r\nuser-agent: h2load nghttp2/1.52.0\r\naccept: */*\r\n" +
		"X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nVia: 2 velox\r\n\r\n"
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	o := rawOrigin(t, len(upstreamReq), resp)
	tp := startProxy(t, clusterConfig(o), 1)
	conn, err := net.Dial("tcp", tp.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var enc h2.HeadEncoder
	enc.Init(4096)
	head := h2.Head{Method: []byte("GET"), Scheme: []byte("http"), Authority: []byte("velox.test"), Path: []byte("/hello"),
		Fields:        []h2.Field{{Name: []byte("user-agent"), Value: []byte("h2load nghttp2/1.52.0")}, {Name: []byte("accept"), Value: []byte("*/*")}},
		ContentLength: -1}
	first := enc.AppendBlock(nil, &head)
	repeat := enc.AppendBlock(nil, &head) // indexed from the second on
	start := []byte(h2.ClientPreface)
	start = h2.AppendSettings(start, []h2.Setting{{ID: h2.SettingInitialWindowSize, Val: 1 << 30}})
	start = h2.AppendWindowUpdate(start, 0, 1<<31-1-65535)
	start = h2.AppendHeaders(start, 1, true, first, 16384)
	frame := h2.AppendHeaders(nil, 3, true, repeat, 16384)
	if _, err := conn.Write(start); err != nil {
		t.Fatal(err)
	}
	in := make([]byte, 0, 64<<10)
	buf := make([]byte, 32<<10)
	ack := h2.AppendSettingsAck(nil)
	id := uint32(1)
	// readResponse reads frames until stream id's END_STREAM.
	readResponse := func() {
		for {
			f, n, err := h2.ReadFrame(in, 1<<24)
			if err == h2.ErrNeedMore {
				m, err := conn.Read(buf)
				if err != nil {
					t.Fatal(err)
				}
				in = append(in, buf[:m]...)
				continue
			}
			if err != nil {
				t.Fatalf("bad frame from velox: %v", err)
			}
			done := f.StreamID == id && f.Flags.Has(h2.FlagDataEndStream) && f.Type == h2.FrameData
			if f.Type == h2.FrameSettings && !f.Flags.Has(h2.FlagSettingsAck) {
				conn.Write(ack)
			}
			if f.Type == h2.FrameGoAway || f.Type == h2.FrameRSTStream {
				t.Fatalf("velox sent %v", f.Type)
			}
			in = in[:copy(in, in[n:])]
			if done {
				return
			}
		}
	}
	readResponse()
	return func() {
		id += 2
		binary.BigEndian.PutUint32(frame[5:9], id)
		if _, err := conn.Write(frame); err != nil {
			t.Fatal(err)
		}
		readResponse()
	}
}

// The steady-state proxied HTTP/2 request (h2c client, HTTP/1.1 origin)
// allocates nothing.
func TestProxiedH2RequestZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	roundTrip := h2RoundTripper(t)
	for i := 0; i < 300; i++ { // warm buffers, free lists, maps
		roundTrip()
	}
	if n := testing.AllocsPerRun(1000, roundTrip); n != 0 {
		t.Fatalf("%v allocations per proxied HTTP/2 request, want 0", n)
	}
}

// BenchmarkProxiedH2RoundTrip is BenchmarkProxiedRoundTrip over h2c.
func BenchmarkProxiedH2RoundTrip(b *testing.B) {
	roundTrip := h2RoundTripper(b)
	for i := 0; i < 100; i++ {
		roundTrip()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		roundTrip()
	}
}

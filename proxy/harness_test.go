package proxy

// The end-to-end harness: every test that talks to the proxy through
// net/http runs once per client mode, each as a subtest named after its
// mode, in the style of net/http's clientserver_test.go run:
//
//	func TestX(t *testing.T) { run(t, testX) }
//	func testX(t *testing.T, m mode) {
//		tp := startProxy(t, cfg, 1)
//		resp, err := tp.do(m, req)
//		...
//	}
//
// A test that only makes sense for some modes names them:
// run(t, testY, modeH1). Tests on raw sockets speak HTTP/1.1 by hand and
// run in modeH1 only. After each test (startProxySetup's cleanup),
// checkNoLeaks closes the test's clients and waits until no client
// connection, no stream and no HTTP/2 connection or stream state is left
// on any loop.

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// mode is how a test's client speaks to the proxy.
type mode string

const (
	modeH1  mode = "h1"  // HTTP/1.1 over TCP
	modeH2C mode = "h2c" // HTTP/2 with prior knowledge over TCP, on the HTTP/1.1 port
	// TLS modes go here once listeners terminate TLS: "h1-tls" (HTTP/1.1
	// over TLS) and "h2" (HTTP/2 negotiated by ALPN).
)

// allModes is every mode, in the order run runs them.
var allModes = []mode{modeH1, modeH2C}

// run runs f as one subtest per mode (all modes when none is given).
func run(t *testing.T, f func(t *testing.T, m mode), modes ...mode) {
	t.Helper()
	if len(modes) == 0 {
		modes = allModes
	}
	for _, m := range modes {
		t.Run(string(m), func(t *testing.T) { f(t, m) })
	}
}

// h2 reports whether m speaks HTTP/2 to the proxy.
func (m mode) h2() bool { return m == modeH2C }

// protoMajor is the HTTP major version a response in mode m carries.
func (m mode) protoMajor() int {
	if m.h2() {
		return 2
	}
	return 1
}

// skipH2C skips the h2c subtest for a known velox bug, described in why.
func skipH2C(t *testing.T, m mode, why string) {
	t.Helper()
	if m == modeH2C {
		t.Skip("velox bug: " + why)
	}
}

// clientFor returns an http.Client that speaks m to the proxy (it sends
// every request there whatever its URL's host), with its own pool of
// connections: keep-alive connections in h1, one multiplexed connection
// in h2c. It follows redirects; a test that must not sets CheckRedirect.
func (tp *testProxy) clientFor(m mode) *http.Client {
	tr := transportFor(m)
	tp.clients = append(tp.clients, tr)
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// transportFor returns a new http.Transport that speaks m.
func transportFor(m mode) *http.Transport {
	tr := &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true}
	switch m {
	case modeH1:
	case modeH2C:
		var p http.Protocols
		p.SetUnencryptedHTTP2(true)
		tr.Protocols = &p
	default:
		panic("harness: unknown mode " + string(m))
	}
	return tr
}

// get sends GET path in mode m on a new client connection and returns
// status and body.
func (tp *testProxy) get(t *testing.T, m mode, path string) (int, string) {
	t.Helper()
	code, body, err := tp.fetch(m, path)
	if err != nil {
		t.Fatal(err)
	}
	return code, body
}

// fetch is get for goroutines other than the test's: it returns the error.
// Its connection carries one request (in h2c, one stream) and closes.
func (tp *testProxy) fetch(m mode, path string) (int, string, error) {
	tr := transportFor(m)
	tr.DisableKeepAlives = true
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	resp, err := c.Get(tp.url(path))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	if resp.ProtoMajor != m.protoMajor() {
		return 0, "", fmt.Errorf("%s client got a %s response", m, resp.Proto)
	}
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// do sends req in mode m on the proxy's shared client for m (made on first
// use; redirects are not followed) and checks that the response came back
// in that mode's protocol.
func (tp *testProxy) do(m mode, req *http.Request) (*http.Response, error) {
	c := tp.byMode[m]
	if c == nil {
		c = tp.clientFor(m)
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		if tp.byMode == nil {
			tp.byMode = map[mode]*http.Client{}
		}
		tp.byMode[m] = c
	}
	resp, err := c.Do(req)
	if err == nil && resp.ProtoMajor != m.protoMajor() {
		resp.Body.Close()
		return nil, fmt.Errorf("%s client got a %s response", m, resp.Proto)
	}
	return resp, err
}

// checkNoLeaks runs after each test (its deferred closes have run): once the
// test's own clients are gone, no client connection, no stream, and no
// HTTP/2 connection or stream state may be left on any loop.
func (tp *testProxy) checkNoLeaks(t testing.TB) {
	for _, tr := range tp.clients {
		tr.CloseIdleConnections()
	}
	if t.Failed() {
		return
	}
	if !holds(func() bool {
		// Again at each poll: Go's HTTP/2 transport forgets a stream on a
		// goroutine of its own, which may still be running when a test's
		// last response body is closed; the connection is not idle to the
		// first call then, and would stay open until timeouts.idle.
		for _, tr := range tp.clients {
			tr.CloseIdleConnections()
		}
		st := tp.totals()
		return st.DownstreamConnsActive == 0 && st.RequestsActive == 0
	}) {
		t.Fatalf("timed out waiting for every connection and stream released: %s", tp.describeConns())
	}
	if tp.Server.draining.Load() {
		return // the test shut the server down itself: its loops are gone
	}
	deadline := time.Now().Add(10 * time.Second)
	for u := tp.h2InUse(t); u != (h2InUse{}); u = tp.h2InUse(t) {
		if time.Now().After(deadline) {
			t.Fatalf("HTTP/2 state left on the loops: %+v", u)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// describeConns says, on each loop's own goroutine, where each client
// connection still open is: what a leak check that fails reports.
func (tp *testProxy) describeConns() string {
	var b strings.Builder
	for _, ls := range tp.loops {
		done := make(chan string, 1)
		err := ls.loop.Execute(func() {
			var b strings.Builder
			ls.conns.each(func(dc *downConn) {
				fmt.Fprintf(&b, "\n  loop %d conn: state %d tmode %d h2 %t lingering %t peerDone %t queued %d", ls.id, dc.state, dc.tmode, dc.h2 != nil, dc.lingering, dc.peerDone, dc.ec.Buffered())
				if s := dc.st; s != nil {
					fmt.Fprintf(&b, "; stream %q up %d reqDone %t respSent %t upPaused %t upStalled %t clock %d", s.info, s.up, s.reqDone, s.respSent, s.upPaused, s.upStalled, s.clock)
				}
				if dc.h2 != nil {
					st := dc.h2.conn.Stats()
					fmt.Fprintf(&b, "; h2.Conn: %d active, %d opened, resets sent %v received %v", dc.h2.conn.ActiveStreams(), st.StreamsOpened, st.ResetsSent, st.ResetsReceived)
					for id, hs := range dc.h2.streams.All() {
						fmt.Fprintf(&b, "; h2 stream %d: %+v", id, *hs)
					}
				}
			})
			done <- b.String()
		})
		if err != nil {
			return err.Error()
		}
		select {
		case s := <-done:
			b.WriteString(s)
		case <-time.After(testWait):
			fmt.Fprintf(&b, "\n  loop %d did not answer", ls.id)
		}
	}
	return b.String()
}

// h2InUse is the HTTP/2 state the loops hold.
type h2InUse struct {
	conns, streams int // states taken from the free lists and not put back
	listed         int // streams in the maps of open connections
}

// h2InUse sums, on each loop's own goroutine, the HTTP/2 states in use.
func (tp *testProxy) h2InUse(t testing.TB) h2InUse {
	t.Helper()
	var sum h2InUse
	for _, ls := range tp.loops {
		done := make(chan h2InUse, 1)
		err := ls.loop.Execute(func() {
			u := h2InUse{conns: ls.madeH2 - len(ls.freeH2), streams: ls.madeH2S - len(ls.freeH2S)}
			ls.conns.each(func(dc *downConn) {
				if dc.h2 != nil {
					u.listed += dc.h2.streams.Len()
				}
			})
			done <- u
		})
		if err != nil {
			t.Fatalf("loop %d: %v", ls.id, err)
		}
		select {
		case u := <-done:
			sum.conns += u.conns
			sum.streams += u.streams
			sum.listed += u.listed
		case <-time.After(10 * time.Second):
			t.Fatalf("loop %d did not run the leak check", ls.id)
		}
	}
	return sum
}

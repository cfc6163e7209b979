package proxy

import (
	"net"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// idleConns is how many idle client connections the test holds open.
const idleConns = 2000

// raiseNoFile makes room for want descriptors, or skips the test.
func raiseNoFile(t *testing.T, want uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("getrlimit: %v", err)
	}
	if lim.Cur >= want {
		return
	}
	old := lim
	lim.Cur = min(want, lim.Max)
	if lim.Cur < want {
		t.Skipf("RLIMIT_NOFILE hard limit %d is below the %d descriptors this test needs", lim.Max, want)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("cannot raise RLIMIT_NOFILE from %d to %d: %v", old.Cur, want, err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
}

// TestE2EIdleConnections holds 2,000 idle client connections open: velox
// must not spend a goroutine on each, must still serve, and must count them
// all down again once they close.
func TestE2EIdleConnections(t *testing.T) {
	// h1 only: 2,000 idle raw HTTP/1.1 sockets (no preface, so no HTTP/2 state).
	// Both ends of every connection live in this process, plus slack.
	raiseNoFile(t, 2*idleConns+512)
	origin := newOrigin(t, nameHandler("origin"))
	srv := startProxySetup(t, oneCluster(t, "", origin.addr()), Options{Loops: 2}, nil)
	addr := srv.addr

	baseActive := srv.totals().DownstreamConnsActive
	baseG := runtime.NumGoroutine()
	conns := make([]net.Conn, 0, idleConns)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range idleConns {
		c, err := net.DialTimeout("tcp", addr, testWait)
		if err != nil {
			t.Fatalf("dial %d: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
	if !holds(func() bool { return srv.totals().DownstreamConnsActive == baseActive+idleConns }) {
		t.Fatalf("downstream_connections_active = %d, want %d", srv.totals().DownstreamConnsActive, baseActive+idleConns)
	}
	t.Logf("goroutines: %d before, %d with %d idle connections", baseG, runtime.NumGoroutine(), idleConns)
	if grew := runtime.NumGoroutine() - baseG; grew >= 50 {
		t.Errorf("goroutines grew by %d with %d idle connections open, want < 50", grew, idleConns)
	}

	res := rawRoundTrip(t, addr, "GET /still HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", testWait)
	if res.StatusLine() != "HTTP/1.1 200 OK" || !strings.Contains(res.Body(), "origin GET /still") {
		t.Fatalf("with %d idle connections open, a request got:\n%s", idleConns, res.data)
	}
	// Some of the idle connections still work too.
	for _, i := range []int{0, idleConns / 2, idleConns - 1} {
		c := conns[i]
		if _, err := c.Write([]byte("GET /idle HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")); err != nil {
			t.Fatalf("write on idle connection %d: %v", i, err)
		}
		if r := readAllRaw(c, testWait); r.StatusLine() != "HTTP/1.1 200 OK" {
			t.Errorf("idle connection %d got %q", i, r.StatusLine())
		}
	}

	for _, c := range conns {
		c.Close()
	}
	conns = nil
	if !holds(func() bool { return srv.totals().DownstreamConnsActive == baseActive }) {
		t.Errorf("downstream_connections_active = %d after closing every connection, want %d",
			srv.totals().DownstreamConnsActive, baseActive)
	}
}

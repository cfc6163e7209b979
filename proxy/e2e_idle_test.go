package proxy_test

import (
	"net"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// e2IdleConns is how many idle client connections the test holds open.
const e2IdleConns = 2000

// e2RaiseNoFile makes room for want descriptors, or skips the test.
func e2RaiseNoFile(t *testing.T, want uint64) {
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
	// Both ends of every connection live in this process, plus slack.
	e2RaiseNoFile(t, 2*e2IdleConns+512)
	origin := e2StartOrigin(t, "origin", nil)
	srv, addr := e2StartProxy(t, e2OneCluster(t, "", origin.Addr()), 2, nil)

	baseActive := e2ActiveConns(srv)
	baseG := runtime.NumGoroutine()
	conns := make([]net.Conn, 0, e2IdleConns)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range e2IdleConns {
		c, err := net.DialTimeout("tcp", addr, e2Wait)
		if err != nil {
			t.Fatalf("dial %d: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
	if !e2Eventually(func() bool { return e2ActiveConns(srv) == baseActive+e2IdleConns }) {
		t.Fatalf("downstream_connections_active = %d, want %d", e2ActiveConns(srv), baseActive+e2IdleConns)
	}
	t.Logf("goroutines: %d before, %d with %d idle connections", baseG, runtime.NumGoroutine(), e2IdleConns)
	if grew := runtime.NumGoroutine() - baseG; grew >= 50 {
		t.Errorf("goroutines grew by %d with %d idle connections open, want < 50", grew, e2IdleConns)
	}

	res := e2RawExchange(t, addr, "GET /still HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", e2Wait)
	if res.StatusLine() != "HTTP/1.1 200 OK" || !strings.Contains(res.Body(), "origin GET /still") {
		t.Fatalf("with %d idle connections open, a request got:\n%s", e2IdleConns, res.data)
	}
	// Some of the idle connections still work too.
	for _, i := range []int{0, e2IdleConns / 2, e2IdleConns - 1} {
		c := conns[i]
		if _, err := c.Write([]byte("GET /idle HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")); err != nil {
			t.Fatalf("write on idle connection %d: %v", i, err)
		}
		if r := e2ReadAll(c, e2Wait); r.StatusLine() != "HTTP/1.1 200 OK" {
			t.Errorf("idle connection %d got %q", i, r.StatusLine())
		}
	}

	for _, c := range conns {
		c.Close()
	}
	conns = nil
	if !e2Eventually(func() bool { return e2ActiveConns(srv) == baseActive }) {
		t.Errorf("downstream_connections_active = %d after closing every connection, want %d",
			e2ActiveConns(srv), baseActive)
	}
}

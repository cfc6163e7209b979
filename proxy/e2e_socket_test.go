package proxy

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestSocketExhaustionIs503 runs itself again in a child process, which
// lowers its own RLIMIT_NOFILE and uses up its descriptors: the proxy's
// socket(2) for a new upstream connection then fails with EMFILE, and the
// client must hear that (503, "too many open files"), not "no healthy
// backend", and the backend must not be blamed.
func TestSocketExhaustionIs503(t *testing.T) {
	// h1 only: requests on a raw HTTP/1.1 socket opened before the descriptors run out.
	if os.Getenv("VELOX_TEST_EMFILE_CHILD") == "1" {
		socketExhaustionChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSocketExhaustionIs503$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "VELOX_TEST_EMFILE_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestSocketExhaustionIs503") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func socketExhaustionChild(t *testing.T) {
	o := newLiveOrigin(t, "", "o", nil)
	cfg := clusterConfig(o.addr())
	cfg.Clusters[0].MaxIdle = new(0) // every request needs a new upstream socket
	tp := startProxy(t, cfg, 1)
	c, err := net.Dial("tcp", tp.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	if code, body := rawGet(t, c, br); code != 200 || body != "o" {
		t.Fatalf("before exhaustion: %d %q", code, body)
	}

	// Both ends of the first upstream connection live in this process: let
	// them close first, or a descriptor they free would serve the next dial.
	eventually(t, "the first upstream connection to close on both ends", func() bool {
		return o.open.Load() == 0 && tp.Stats().Clusters["c"][0].ActiveConns == 0
	})
	fillers := exhaustFDs(t)
	code, body := rawGet(t, c, br)
	for _, f := range fillers {
		f.Close()
	}
	if code != 503 || !strings.HasPrefix(body, "velox: could not open a socket: too many open files") {
		t.Fatalf("with no descriptor left: %d %q, want 503 too many open files", code, body)
	}
	eventually(t, "the log line", func() bool {
		return strings.Contains(tp.log.String(), "503 could not open a socket: too many open files")
	})
	if s := tp.Stats().Clusters["c"][0]; s.Failures != 0 || !s.Healthy {
		t.Errorf("backend blamed for the proxy's own EMFILE: %+v", s)
	}
	if code, body := rawGet(t, c, br); code != 200 || body != "o" {
		t.Fatalf("descriptors back: %d %q", code, body)
	}
}

// exhaustFDs lowers RLIMIT_NOFILE near what is open and opens /dev/null
// until the process has no descriptor left.
func exhaustFDs(t *testing.T) []*os.File {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	lim := syscall.Rlimit{Cur: uint64(len(ents) + 32), Max: old.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
	var fs []*os.File
	for range lim.Cur + 1 {
		f, err := os.Open(os.DevNull)
		if err != nil {
			if !strings.Contains(err.Error(), "too many open files") {
				t.Fatalf("open: %v", err)
			}
			return fs
		}
		fs = append(fs, f)
	}
	t.Fatal("never ran out of descriptors")
	return nil
}

// rawGet sends GET / on c and reads the response.
func rawGet(t *testing.T, c net.Conn, br *bufio.Reader) (int, string) {
	t.Helper()
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	return readResponse(t, br)
}

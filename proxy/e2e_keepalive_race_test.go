package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
)

// The keep-alive race: a backend closes a kept-alive connection just as
// velox sends the next request on it (here: it reads that request and
// closes without an answer). A bodiless GET is sent again on another
// connection to the same backend, even in a cluster of one backend, and
// the client gets the answer.
func TestKeepAliveRaceResentToTheSameBackend(t *testing.T) {
	var conns atomic.Int32
	addr := serveRaw(t, func(c net.Conn) {
		conns.Add(1)
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		http.ReadRequest(br) // the next one on this connection: closed unanswered
	})
	tp := startProxy(t, clusterConfig(addr), 1)
	c := tp.clientFor(modeH1)
	for i := range 4 {
		resp, err := c.Get("http://" + tp.addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		if resp.StatusCode != 200 || string(body) != "ok" {
			t.Fatalf("GET %d: %d %q, want 200 ok", i, resp.StatusCode, body)
		}
	}
	if n := tp.totals().UpstreamRetriesTotal; n == 0 {
		t.Errorf("upstream_retries_total = 0: no request met a closed kept-alive connection (%d connections)", conns.Load())
	}
}

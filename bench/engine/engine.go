package engine

import (
	"bytes"
	"context"
	"fmt"
	"sort"
)

// Mode is the workload a server answers.
type Mode string

// The two workloads of the yardstick.
const (
	ModeEcho Mode = "echo"
	ModeHTTP Mode = "http"
)

// Response is the fixed answer of ModeHTTP to each request: 2 body bytes.
var Response = []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok")

// ReadyFunc is told the bound address once a server accepts connections.
type ReadyFunc func(bound string)

// ServeFunc runs one engine's server on addr until ctx is done.
type ServeFunc func(ctx context.Context, mode Mode, addr string, ready ReadyFunc) error

// servers is the dispatch table of engines, by the name used on the command
// line and in the report.
var servers = map[string]ServeFunc{
	"velox":   ServeVelox,
	"gnet":    ServeGnet,
	"netpoll": ServeNetpoll,
}

// Names lists the engines, sorted.
func Names() []string {
	names := make([]string, 0, len(servers))
	for n := range servers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Serve runs the named engine's server with one loop on addr ("host:port";
// gnet needs a concrete port) until ctx is done.
func Serve(ctx context.Context, name string, mode Mode, addr string, ready ReadyFunc) error {
	f, ok := servers[name]
	if !ok {
		return fmt.Errorf("engine: unknown engine %q (have %v)", name, Names())
	}
	if mode != ModeEcho && mode != ModeHTTP {
		return fmt.Errorf("engine: unknown mode %q", mode)
	}
	return f(ctx, mode, addr, ready)
}

var headEnd = []byte("\r\n\r\n")

// CountRequests returns how many complete request heads data starts with
// and how many bytes they span. Bodies are not expected: the yardstick's
// requests are GETs. A trailing partial head is left unconsumed.
func CountRequests(data []byte) (n, consumed int) {
	for {
		i := bytes.Index(data[consumed:], headEnd)
		if i < 0 {
			return n, consumed
		}
		consumed += i + len(headEnd)
		n++
	}
}

// AppendResponses appends n copies of Response to dst.
func AppendResponses(dst []byte, n int) []byte {
	for range n {
		dst = append(dst, Response...)
	}
	return dst
}

package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"

	"github.com/velox-proxy/velox/proxy"
)

// startAdmin serves /healthz, /stats and /debug/pprof/ on addr, IPv4 or
// IPv6 only as the loops' listeners are. The admin listener is plain
// net/http: it is off the data path.
func startAdmin(addr netip.AddrPort, srv *proxy.Server) (string, error) {
	network := "tcp4"
	if addr.Addr().Is6() {
		network = "tcp6"
	}
	ln, err := net.Listen(network, addr.String())
	if err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(srv.Stats())
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go http.Serve(ln, mux)
	return ln.Addr().String(), nil
}

// adminExposure is what the admin's "listening" line adds when the admin
// listener is reachable from beyond this machine: pprof shows the command
// line and memory, and a CPU profile costs the loops.
func adminExposure(addr netip.AddrPort) string {
	if addr.Addr().IsLoopback() {
		return ""
	}
	return " (not loopback: /stats and /debug/pprof/ are open to whoever reaches it; 127.0.0.1:PORT keeps them local)"
}

package proxy

import (
	"fmt"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/tlshello"
)

// tcpRoutes is where a listener's connections go: for a tcp listener, a
// cluster, or the cluster the server name of the TLS ClientHello picks
// (sni_routes: TLS passthrough), with cluster as the default.
type tcpRoutes struct {
	tcp     bool
	cluster int             // table cluster index; -1 = none (http, or sni_routes without a default)
	sni     *hostTable[int] // nil: no preread
}

// buildTCPRoutes resolves a listener's cluster names to table indexes.
func buildTCPRoutes(l *config.Listener, byName map[string]int) (tcpRoutes, error) {
	r := tcpRoutes{tcp: l.Protocol == config.ListenerTCP, cluster: -1}
	if !r.tcp {
		return r, nil
	}
	var err error
	if r.cluster, err = clusterIndex(l.Cluster, byName); err != nil {
		return r, err
	}
	if len(l.SNIRoutes) == 0 {
		return r, nil
	}
	sni := newHostTable(r.cluster)
	for _, sr := range l.SNIRoutes {
		ci, err := clusterIndex(sr.Cluster, byName)
		if err != nil {
			return r, err
		}
		for _, n := range sr.ServerNames {
			sni.add(n, ci)
		}
	}
	r.sni = &sni
	return r, nil
}

// preread routes a connection of an sni_routes listener once its
// ClientHello is in data (the bytes stay kept, for the backend): by its
// server name, or to the default cluster when it has none or the bytes
// are no TLS ClientHello (as nginx's ssl_preread and HAProxy's req.ssl_sni
// give an empty name then). With no cluster to go to, the client is
// closed with a log line.
func (t *tcpConn) preread(data []byte) {
	name, err := tlshello.ServerName(data)
	if err == tlshello.ErrNeedMore {
		return // the header_read clock runs
	}
	// The current table's routes: a reload since the accept may have
	// changed them, and ls.clusters is the current table's.
	r := &t.ls.current().tcp[t.listener]
	ci := r.cluster
	if err == nil && r.sni != nil {
		ci = r.sni.lookup(name)
	}
	if ci < 0 {
		t.ls.stats.tcpNoRoute.Add(1)
		why := "TLS server name " + fmt.Sprintf("%q", name) + " matches no sni_routes entry and the listener has no cluster, closed"
		if err != nil {
			why = "not a TLS ClientHello (" + err.Error() + ") and the listener has no cluster, closed"
		}
		t.closeWith(why)
		return
	}
	t.timer.Stop()
	t.cs = t.ls.clusters[ci]
	t.down.PauseRead() // until the backend connection is up
	t.connect()
}

package proxy

// A listener with protocol auto (rpc_auto.go): HTTP/1.1, h2c, dubbo-go and
// sofa-rpc-node clients on one port, each told apart by its first byte.

import (
	"strings"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
)

func TestRPCAutoListener(t *testing.T) {
	web := newOrigin(t, nameHandler("web"))
	dubbo := dubboServer(t, echoService, "1.0", "dubbo")
	bolt := boltServer(t, "org.velox.BoltEcho", "1.0", "bolt")
	cfg := &config.Config{
		Listeners: []config.Listener{{Address: "127.0.0.1:0", Protocol: config.ListenerAuto}},
		Clusters: []config.Cluster{
			{Name: "web", Backends: []config.Backend{{Address: web.addr()}}},
			{Name: "dubbo", Backends: []config.Backend{{Address: dubbo.Addr}}},
			{Name: "bolt", Backends: []config.Backend{{Address: bolt.Addr}}},
		},
		Products: []config.Product{
			{Name: "web", Hosts: []string{"localhost"}, DefaultCluster: "web"},
			{Name: "echo", Hosts: []string{echoService}, DefaultCluster: "dubbo"},
			{Name: "boltecho", Hosts: []string{"org.velox.BoltEcho"}, DefaultCluster: "bolt"},
		},
		DefaultProduct: "web",
	}
	tp := startRPCProxy(t, cfg, "dubbo")
	run(t, func(t *testing.T, m mode) {
		if code, body := tp.get(t, m, "/page"); code != 200 || !strings.HasPrefix(body, "web GET /page") {
			t.Errorf("HTTP (%s): %d %q", m, code, body)
		}
	})
	if r := dubboCall(t, tp.addr, echoService, "1.0", 20, 5, 5*time.Second, "x"); r.OK != 20 || r.Servers["dubbo"] != 20 {
		t.Errorf("dubbo-go client: %+v", r)
	}
	if r := boltCall(t, tp.addr, "org.velox.BoltEcho", "1.0", 20, 5, 2, 5*time.Second, "x"); r.OK != 20 || r.Servers["bolt"] != 20 {
		t.Errorf("sofa-rpc-node client: %+v", r)
	}
	if d, b := tp.rpcTotals("dubbo"), tp.rpcTotals("bolt"); d.ResponsesOK != 20 || b.ResponsesOK != 20 || b.InFlight != 0 {
		t.Errorf("stats: dubbo %+v, bolt %+v", d, b)
	}
}

package main

import (
	"testing"

	"github.com/velox-proxy/velox/config"
)

// `velox proxy --protocol dubbo|bolt`: an RPC listener whose cluster is
// the --to backends, no products.
func TestQuickModeRPC(t *testing.T) {
	for _, p := range []string{config.ListenerDubbo, config.ListenerBolt} {
		cfg, err := quickConfig("127.0.0.1:0", []string{"127.0.0.1:20880", "127.0.0.1:20881"}, "round_robin", p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		l := cfg.Listeners[0]
		if l.Protocol != p || l.Cluster != "backends" || len(cfg.Products) != 0 || len(cfg.Clusters[0].Backends) != 2 {
			t.Errorf("%s: listener %+v, products %d, cluster %+v", p, l, len(cfg.Products), cfg.Clusters[0])
		}
	}
	// auto: the cluster serves RPC clients and, by the default product, HTTP ones.
	cfg, err := quickConfig("127.0.0.1:0", []string{"127.0.0.1:20880"}, "round_robin", config.ListenerAuto)
	if err != nil {
		t.Fatal(err)
	}
	if l := cfg.Listeners[0]; l.Protocol != config.ListenerAuto || l.Cluster != "backends" || cfg.DefaultProduct == "" {
		t.Errorf("auto: listener %+v, default product %q", l, cfg.DefaultProduct)
	}
}

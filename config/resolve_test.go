package config

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"testing"
)

// TestResolve: each host name is looked up once, IP addresses never; a
// name that does not resolve is an error at its first use, with the line.
func TestResolve(t *testing.T) {
	c, err := Parse("velox.yaml", []byte(`listeners: [{address: "127.0.0.1:8080"}]
clusters:
  - name: a
    backends:
      - address: 10.0.0.1:80
      - address: api.test:80
  - name: b
    backends:
      - address: api.test:8080
      - address: gone.test:80
      - address: empty.test:80
`))
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]int{}
	lookup := func(_ context.Context, host string) ([]string, error) {
		calls[host]++
		switch host {
		case "api.test":
			return []string{"10.0.0.3", "10.0.0.2", "::ffff:10.0.0.3", "not-an-ip"}, nil
		case "empty.test":
			return nil, nil
		}
		return nil, errors.New("no such host")
	}
	hosts, err := c.Resolve(context.Background(), lookup)
	want := "velox.yaml:10: clusters[1].backends[1].address: host \"gone.test\" does not resolve: no such host\n" +
		"velox.yaml:11: clusters[1].backends[2].address: host \"empty.test\" does not resolve: no addresses"
	if err == nil || err.Error() != want {
		t.Errorf("Resolve error:\n%v\nwant\n%s", err, want)
	}
	if got, want := hosts["api.test"], []netip.Addr{netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3")}; !reflect.DeepEqual(got, want) {
		t.Errorf("api.test = %v, want %v (sorted, unmapped, each once)", got, want)
	}
	if !reflect.DeepEqual(calls, map[string]int{"api.test": 1, "gone.test": 1, "empty.test": 1}) {
		t.Errorf("lookups = %v, want one per name", calls)
	}
	if got := c.Clusters[1].HostNames(); !reflect.DeepEqual(got, []string{"api.test", "gone.test", "empty.test"}) {
		t.Errorf("HostNames = %v", got)
	}
}

// TestResolveLocalhost resolves a name for real with the default resolver.
func TestResolveLocalhost(t *testing.T) {
	c := &Config{Clusters: []Cluster{{Backends: []Backend{{Address: "localhost:80"}}}}}
	hosts, err := c.Resolve(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range hosts["localhost"] {
		if !a.IsLoopback() {
			t.Errorf("localhost resolved to %v", a)
		}
	}
	if len(hosts["localhost"]) == 0 {
		t.Error("localhost resolved to nothing")
	}
}

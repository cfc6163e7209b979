package upstream

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
	"golang.org/x/sys/unix"
)

func TestNewClusterDefaults(t *testing.T) {
	c, err := NewCluster(&config.Cluster{
		Name:     "web",
		Backends: []config.Backend{{Address: "127.0.0.1:9000"}},
	}, From{})
	if err != nil {
		t.Fatal(err)
	}
	want := Cluster{
		Name:            "web",
		Backends:        c.Backends,
		Balancer:        "round_robin",
		Protocol:        "http1",
		ConnectTimeout:  2 * time.Second,
		ResponseTimeout: 30 * time.Second,
		IdleTimeout:     60 * time.Second,
		MaxIdle:         1024,
		MaxConns:        1024,
		Retries:         1,
		EjectAfter:      5,
		EjectBase:       time.Second,
		EjectMax:        30 * time.Second,
		ResolveInterval: 30 * time.Second,
	}
	if !equalCluster(*c, want) {
		t.Errorf("got  %+v\nwant %+v", *c, want)
	}
	b := c.Backends[0]
	if b.Index != 0 || b.Weight != 1 || b.Addr != "127.0.0.1:9000" {
		t.Errorf("backend = %+v", b)
	}
}

func TestNewClusterExplicit(t *testing.T) {
	c, err := NewCluster(&config.Cluster{
		Name:                "api",
		Balancer:            "least_request",
		ConnectTimeout:      config.Duration(time.Second),
		ResponseTimeout:     config.Duration(5 * time.Second),
		IdleTimeout:         config.Duration(10 * time.Second),
		MaxIdle:             new(8),
		MaxConns:            16,
		MaxRequestsPerConn:  100,
		Retries:             3,
		EjectBase:           config.Duration(2 * time.Second),
		EjectMax:            config.Duration(time.Minute),
		ConsecutiveFailures: 2,
		ResolveInterval:     config.Duration(time.Minute),
		Backends: []config.Backend{
			{Address: "10.0.0.1:80", Weight: new(3)},
			{Address: "[::1]:8080"},
		},
	}, From{})
	if err != nil {
		t.Fatal(err)
	}
	want := Cluster{
		Name: "api", Backends: c.Backends, Balancer: "least_request", Protocol: "http1",
		ConnectTimeout: time.Second, ResponseTimeout: 5 * time.Second, IdleTimeout: 10 * time.Second,
		MaxIdle: 8, MaxConns: 16, MaxRequestsPerConn: 100, Retries: 3,
		EjectAfter: 2, EjectBase: 2 * time.Second, EjectMax: time.Minute, ResolveInterval: time.Minute,
	}
	if !equalCluster(*c, want) {
		t.Errorf("got  %+v\nwant %+v", *c, want)
	}
	if w := c.Backends[0].Weight; w != 3 {
		t.Errorf("weight = %d, want 3", w)
	}
	if i := c.Backends[1].Index; i != 1 {
		t.Errorf("index = %d, want 1", i)
	}
	if b := c.Backends[0]; b.ejectBase != 2*time.Second || b.ejectMax != time.Minute || b.ejectAfter != 2 {
		t.Errorf("backend eject = %v..%v", b.ejectBase, b.ejectMax)
	}
}

func TestNewClusterRetries(t *testing.T) {
	for in, want := range map[int]int{0: 1, -1: 0, 1: 1, 4: 4} {
		c, err := NewCluster(&config.Cluster{Retries: in, Backends: []config.Backend{{Address: "127.0.0.1:1"}}}, From{})
		if err != nil {
			t.Fatal(err)
		}
		if c.Retries != want {
			t.Errorf("retries %d resolved to %d, want %d", in, c.Retries, want)
		}
	}
}

func TestNewClusterSockaddr(t *testing.T) {
	for _, tt := range []struct {
		addr, norm string
		sa         unix.Sockaddr
	}{
		{"127.0.0.1:9000", "127.0.0.1:9000", &unix.SockaddrInet4{Port: 9000, Addr: [4]byte{127, 0, 0, 1}}},
		{"[::ffff:10.1.2.3]:80", "10.1.2.3:80", &unix.SockaddrInet4{Port: 80, Addr: [4]byte{10, 1, 2, 3}}},
		{"[::1]:443", "[::1]:443", &unix.SockaddrInet6{Port: 443, Addr: [16]byte{15: 1}}},
		{"[fe80::1%7]:80", "[fe80::1%7]:80", &unix.SockaddrInet6{Port: 80, Addr: [16]byte{0: 0xfe, 1: 0x80, 15: 1}, ZoneId: 7}},
	} {
		c, err := NewCluster(&config.Cluster{Backends: []config.Backend{{Address: tt.addr}}}, From{})
		if err != nil {
			t.Errorf("%s: %v", tt.addr, err)
			continue
		}
		b := c.Backends[0]
		if b.Addr != tt.norm {
			t.Errorf("%s: Addr = %q, want %q", tt.addr, b.Addr, tt.norm)
		}
		if !equalSockaddr(b.Sockaddr, tt.sa) {
			t.Errorf("%s: Sockaddr = %#v, want %#v", tt.addr, b.Sockaddr, tt.sa)
		}
	}
}

func TestNewClusterErrors(t *testing.T) {
	ok := config.Backend{Address: "127.0.0.1:80"}
	for _, tt := range []struct {
		c    config.Cluster
		want string
	}{
		{config.Cluster{Backends: []config.Backend{ok, {Address: "x"}}}, `backends[1].address: "x": not host:port`},
		{config.Cluster{Backends: []config.Backend{{Address: "127.0.0.1"}}}, `backends[0].address: "127.0.0.1": not host:port`},
		{config.Cluster{Backends: []config.Backend{{Address: "localhost:80"}}}, `backends[0].address: "localhost:80": host "localhost" not resolved`},
		{config.Cluster{Backends: []config.Backend{{Address: "[fe80::1%nosuchif0]:80"}}}, `backends[0].address: "[fe80::1%nosuchif0]:80": unknown zone "nosuchif0"`},
		{config.Cluster{Backends: []config.Backend{{Address: ""}}}, `backends[0].address: "": not host:port`},
		{config.Cluster{Backends: []config.Backend{{Address: "127.0.0.1:0"}}}, `backends[0].address: "127.0.0.1:0": port must be a number 1..65535`},
		{config.Cluster{Backends: []config.Backend{ok, ok, {Address: "1.2.3.4:5", Weight: new(-1)}}}, `backends[2].weight: must be >= 0`},
		{config.Cluster{}, `backends: none`},
		{config.Cluster{Balancer: "random", Backends: []config.Backend{ok}}, `balancer: "random"`},
		{config.Cluster{MaxIdle: new(-1), Backends: []config.Backend{ok}}, `max_idle: must be >= 0`},
		{config.Cluster{ConsecutiveFailures: -2, Backends: []config.Backend{ok}}, `consecutive_failures: must be >= -1`},
		{config.Cluster{MaxConns: -1, Backends: []config.Backend{ok}}, `max_conns: must be >= 0`},
		{config.Cluster{IdleTimeout: -1, Backends: []config.Backend{ok}}, `idle_timeout: must be >= 0`},
		{config.Cluster{Retries: -2, Backends: []config.Backend{ok}}, `retries: must be >= -1`},
	} {
		_, err := NewCluster(&tt.c, From{})
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("NewCluster(%+v) error = %v, want prefix %q", tt.c, err, tt.want)
		}
	}
}

func equalCluster(a, b Cluster) bool {
	a.Backends, b.Backends = nil, nil
	a.byAddr, b.byAddr = nil, nil
	return reflect.DeepEqual(a, b)
}

func equalSockaddr(a, b unix.Sockaddr) bool {
	switch a := a.(type) {
	case *unix.SockaddrInet4:
		b, ok := b.(*unix.SockaddrInet4)
		return ok && a.Port == b.Port && a.Addr == b.Addr
	case *unix.SockaddrInet6:
		b, ok := b.(*unix.SockaddrInet6)
		return ok && a.Port == b.Port && a.Addr == b.Addr && a.ZoneId == b.ZoneId
	}
	return false
}

// TestNewClusterKeepsHealth: a backend whose address stays in the cluster
// shares health and counters with the one it replaces, whatever its new
// position; a new address starts afresh; new eject settings apply.
func TestNewClusterKeepsHealth(t *testing.T) {
	old, err := NewCluster(&config.Cluster{Name: "c", ConsecutiveFailures: 1, Backends: []config.Backend{
		{Address: "127.0.0.1:1"}, {Address: "127.0.0.1:2"},
	}}, From{})
	if err != nil {
		t.Fatal(err)
	}
	old.Backends[1].CountRequest()
	old.Backends[1].ReportFailure(t0)
	cl, err := NewCluster(&config.Cluster{Name: "c", EjectBase: config.Duration(5 * time.Second), Backends: []config.Backend{
		{Address: "127.0.0.1:3"}, {Address: "127.0.0.1:2"},
	}}, From{Prev: old})
	if err != nil {
		t.Fatal(err)
	}
	kept, fresh := cl.Backends[1], cl.Backends[0]
	if s := kept.Stats(t0); s.Healthy || s.Requests != 1 || s.Failures != 1 || s.Ejections != 1 {
		t.Errorf("kept backend stats = %+v, want it still ejected with its counters", s)
	}
	if s := fresh.Stats(t0); !s.Healthy || s.Requests != 0 {
		t.Errorf("new backend stats = %+v", s)
	}
	old.Backends[1].CountRequest() // a request of the old table still in flight
	if kept.Stats(t0).Requests != 2 || kept.Index != 1 || kept.ejectBase != 5*time.Second {
		t.Errorf("kept backend = %+v, want shared counters at its new index with the new eject_base", kept)
	}
}

// TestNewClusterHostNames: a name stands for every address it resolved to,
// each with the configured weight; an address already in the cluster keeps
// its first weight.
func TestNewClusterHostNames(t *testing.T) {
	hosts := config.Hosts{"api.internal": {netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("::1")}}
	cl, err := NewCluster(&config.Cluster{Backends: []config.Backend{
		{Address: "10.0.0.2:80", Weight: new(7)}, {Address: "api.internal:80", Weight: new(2)},
	}}, From{Hosts: hosts})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range cl.Backends {
		got = append(got, fmt.Sprintf("%s=%d(%s)", b.Addr, b.Weight, b.Name))
	}
	want := []string{"10.0.0.2:80=7(10.0.0.2:80)", "10.0.0.1:80=2(api.internal:80)", "[::1]:80=2(api.internal:80)"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("backends = %v, want %v", got, want)
	}
}

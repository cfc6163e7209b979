package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/velox-proxy/velox/internal/testcert"
)

var update = flag.Bool("update", false, "rewrite testdata/bad/*.err from the current output")

// TestGood loads every config in testdata/good; each must be valid.
func TestGood(t *testing.T) {
	forEachFile(t, "testdata/good/*.yaml", func(t *testing.T, path string) {
		if _, err := Load(path); err != nil {
			t.Fatalf("Load: %v", err)
		}
	})
}

// TestExamples loads every config in examples/; each must be valid.
func TestExamples(t *testing.T) {
	forEachFile(t, "../examples/*.yaml", func(t *testing.T, path string) {
		if _, err := Load(path); err != nil {
			t.Fatalf("Load: %v", err)
		}
	})
}

// TestBad parses every config in testdata/bad and compares the error with
// the sibling .err file, byte for byte.
func TestBad(t *testing.T) {
	forEachFile(t, "testdata/bad/*.yaml", func(t *testing.T, path string) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Parse(filepath.Base(path), data)
		if err == nil {
			t.Fatalf("Parse succeeded, want an error (config %+v)", c)
		}
		golden := strings.TrimSuffix(path, ".yaml") + ".err"
		if *update {
			if err := os.WriteFile(golden, []byte(err.Error()+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, rerr := os.ReadFile(golden)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if got := err.Error() + "\n"; got != string(want) {
			t.Errorf("error mismatch\ngot:\n%s\nwant:\n%s", got, want)
		}
	})
}

func forEachFile(t *testing.T, pattern string, fn func(t *testing.T, path string)) {
	paths, err := filepath.Glob(pattern)
	if err != nil || len(paths) == 0 {
		t.Fatalf("no files match %s (%v)", pattern, err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) { fn(t, path) })
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/no-such-file.yaml")
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load: got %v, want an os.ErrNotExist", err)
	}
}

// TestDecodedValues checks that what the examples say is what Load gives.
func TestDecodedValues(t *testing.T) {
	c, err := Load("../examples/tenants.yaml")
	if err != nil {
		t.Fatal(err)
	}
	api := c.Clusters[2]
	checks := []struct {
		name      string
		got, want any
	}{
		{"cluster name", api.Name, "api"},
		{"balancer", api.Balancer, BalancerLeastRequest},
		{"connect_timeout", time.Duration(api.ConnectTimeout), 500 * time.Millisecond},
		{"eject_max", time.Duration(api.EjectMax), time.Minute},
		{"weight", IntOr(api.Backends[0].Weight, 1), 2},
		{"retries", api.Retries, 2},
		{"idle default", c.Clusters[0].IdleTimeout.Or(DefaultPoolIdleTimeout), DefaultPoolIdleTimeout},
		{"header_read", c.Timeouts.HeaderRead.Or(DefaultHeaderRead), 10 * time.Second},
		{"max_body_bytes", c.Limits.MaxBodyBytes, int64(10 << 20)},
		{"max_input", c.Limits.MaxInput, 256 << 10},
		{"wildcard host", c.Products[0].Hosts[1], "*.blog.example.com"},
		{"static header", c.Products[1].Routes[2].Filters[0].Headers["Cache-Control"], "no-store"},
		{"default_product", c.DefaultProduct, "fallback"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
}

func TestDurationYAML(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"250ms", 250 * time.Millisecond, ""},
		{"1m30s", 90 * time.Second, ""},
		{"0", 0, ""},
		{`"0s"`, 0, ""},
		{"5", 0, "use a unit, e.g. 5s, got 5"},
		{"1.5", 0, "use a unit, e.g. 5s, got 1.5"},
		{"-3", 0, "use a unit, e.g. 5s, got -3"},
		{"-3s", 0, "must be >= 0, got -3s"},
		{"soon", 0, `must be a duration with a unit, e.g. 5s, got "soon"`},
		{"{a: 1}", 0, "must be a duration with a unit, e.g. 5s"},
	}
	for _, tt := range tests {
		data := "listeners: [{address: 127.0.0.1:1}]\ntimeouts:\n  idle: " + tt.in + "\n"
		c, err := Parse("d.yaml", []byte(data))
		switch {
		case tt.err != "" && (err == nil || err.Error() != "d.yaml:3: timeouts.idle: "+tt.err):
			t.Errorf("%s: got error %v, want %q", tt.in, err, tt.err)
		case tt.err == "" && err != nil:
			t.Errorf("%s: %v", tt.in, err)
		case tt.err == "" && time.Duration(c.Timeouts.Idle) != tt.want:
			t.Errorf("%s: got %v, want %v", tt.in, time.Duration(c.Timeouts.Idle), tt.want)
		}
	}
}

func TestDurationRoundTrip(t *testing.T) {
	d := Duration(90 * time.Second)
	v, err := d.MarshalYAML()
	if err != nil || v != "1m30s" {
		t.Fatalf("MarshalYAML = %v, %v; want 1m30s", v, err)
	}
	if got := Duration(0).Or(time.Second); got != time.Second {
		t.Errorf("Or on zero = %v, want 1s", got)
	}
	if got := d.Or(time.Second); got != 90*time.Second {
		t.Errorf("Or on 90s = %v, want 90s", got)
	}
}

// TestValidateInCode checks a Config built in code: paths, but no file
// or line, and every problem at once.
func TestValidateInCode(t *testing.T) {
	c := &Config{
		Clusters: []Cluster{{Name: "c", ConnectTimeout: Duration(-time.Second)}},
		Products: []Product{{Name: "p", Hosts: []string{"p.example.com"}, DefaultCluster: "c"}},
	}
	want := "listeners: at least one listener required\n" +
		"clusters[0].backends: at least one backend required\n" +
		"clusters[0].connect_timeout: must be >= 0, got -1s"
	err := c.Validate()
	if err == nil || err.Error() != want {
		t.Fatalf("Validate:\n%v\nwant:\n%s", err, want)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Path != "listeners" || fe.Line != 0 {
		t.Fatalf("errors.As: got %+v, want the listeners error without a line", fe)
	}
	c.Listeners = []Listener{{Address: "127.0.0.1:8080"}}
	c.Clusters[0].ConnectTimeout = 0
	c.Clusters[0].Backends = []Backend{{Address: "127.0.0.1:9000"}}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate after fixing: %v", err)
	}
}

// TestValidateAfterParse checks that a parsed Config changed in code is
// reported with the lines of the file it came from.
func TestValidateAfterParse(t *testing.T) {
	c, err := Load("../examples/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Clusters[0].Backends[0].Weight = new(-1)
	want := "../examples/minimal.yaml:18: clusters[0].backends[0].weight: must be >= 0 (0 drains the backend), got -1"
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Fatalf("Validate: got %v, want %s", err, want)
	}
}

func TestFilterMethods(t *testing.T) {
	tests := []struct {
		f        Filter
		def      string
		at       string
		terminal bool
		status   int
	}{
		{Filter{Type: FilterSetRequestHeader}, PointBeforeLocation, PointBeforeLocation, false, 0},
		{Filter{Type: FilterSetRequestHeader, Point: PointAfterLocation}, PointBeforeLocation, PointAfterLocation, false, 0},
		{Filter{Type: FilterAddResponseHeader}, PointFoundProduct, PointReadResponse, false, 0},
		{Filter{Type: FilterStatic}, PointAfterLocation, PointAfterLocation, true, 200},
		{Filter{Type: FilterDeny}, PointBeforeLocation, PointBeforeLocation, true, 403},
		{Filter{Type: FilterRedirect, Status: 308}, PointBeforeLocation, PointBeforeLocation, true, 308},
		{Filter{Type: FilterRedirect}, PointBeforeLocation, PointBeforeLocation, true, 302},
	}
	for _, tt := range tests {
		if got := tt.f.RunsAt(tt.def); got != tt.at {
			t.Errorf("%+v RunsAt(%s) = %s, want %s", tt.f, tt.def, got, tt.at)
		}
		if got := tt.f.Terminal(); got != tt.terminal {
			t.Errorf("%+v Terminal = %v, want %v", tt.f, got, tt.terminal)
		}
		if got := tt.f.ResponseStatus(); got != tt.status {
			t.Errorf("%+v ResponseStatus = %d, want %d", tt.f, got, tt.status)
		}
	}
}

func TestParentPath(t *testing.T) {
	tests := map[string]string{
		"a":                       "",
		"a.b":                     "a",
		"a[3]":                    "a",
		"a[3].b":                  "a[3]",
		`a.headers["x.y[1]"]`:     "a.headers",
		`a.headers["q\"].z"].b`:   `a.headers["q\"].z"]`,
		"filters[0].headers.X-Ok": "filters[0].headers",
	}
	for in, want := range tests {
		if got := parentPath(in); got != want {
			t.Errorf("parentPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// A cluster's tls with real files (made by the test) validates and loads.
func TestUpstreamTLSFiles(t *testing.T) {
	ca := testcert.NewCA(t, "backends")
	leaf := ca.Client("velox")
	yaml := fmt.Sprintf(`listeners: [{address: 127.0.0.1:0}]
products: [{name: p, default_cluster: a}]
default_product: p
clusters:
  - name: a
    backends: [{address: "api.internal:443"}]
    tls: {server_name: api.internal, ca: %q, cert: %q, key: %q}
`, ca.File, leaf.CertFile, leaf.KeyFile)
	c, err := Parse("tls.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	tl := c.Clusters[0].TLS
	pool, err := tl.LoadCA()
	if err != nil || pool == nil {
		t.Fatalf("LoadCA: %v, %v", pool, err)
	}
	if certs, err := tl.LoadCertificates(); err != nil || len(certs) != 1 {
		t.Fatalf("LoadCertificates: %d, %v", len(certs), err)
	}
	before := tl.Identity()
	if err := os.WriteFile(ca.File, []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if tl.Identity() == before {
		t.Fatal("Identity did not change with the CA file's contents")
	}
}

// A listener's client CA bundle (its name and its contents) is read again
// on reload, so it is no part of the listener's Identity; client_auth's
// mode is.
func TestListenerTLSIdentityClientCA(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, []byte("a"), 0o600)
	lt := &ListenerTLS{ClientAuth: &ClientAuth{Mode: "require", CA: ca}}
	before := lt.Identity()
	os.WriteFile(ca, []byte("b"), 0o600)
	if lt.Identity() != before {
		t.Error("the CA bundle's contents changed the Identity")
	}
	lt.ClientAuth.CA = filepath.Join(dir, "other.pem")
	if lt.Identity() != before {
		t.Error("the CA bundle's name changed the Identity")
	}
	lt.ClientAuth.Mode = "request"
	if lt.Identity() == before {
		t.Error("client_auth.mode did not change the Identity")
	}
	if (&ListenerTLS{}).Identity() == before {
		t.Error("client_auth on or off: the same Identity")
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Without MOSN_BIN, or without the template, MOSN is not started and the
// reason says why; with both, the template is rendered with the listener,
// the upstream, the protocol and an admin port, into a directory of the
// instance's own, and MOSN_BIN runs as `start -c FILE`.
func TestStartMOSN(t *testing.T) {
	dir := t.TempDir()
	d := &driver{benchDir: filepath.Join(dir, "bench"), workDir: filepath.Join(dir, "run"), procs: newProcs(dir),
		rpcAddr: map[string]string{"bolt": "127.0.0.1:7"}}
	if err := os.MkdirAll(filepath.Join(d.benchDir, "conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MOSN_BIN", "")
	if _, err := d.startMOSN(9, "bolt"); err == nil || !strings.Contains(err.Error(), "MOSN_BIN is not set") {
		t.Errorf("no MOSN_BIN: %v", err)
	}
	args := filepath.Join(dir, "args")
	fake := filepath.Join(dir, "mosn")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho \"$@\" > "+args+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MOSN_BIN", fake)
	if _, err := d.startMOSN(9, "bolt"); err == nil || !strings.Contains(err.Error(), "no MOSN config template") {
		t.Errorf("no template: %v", err)
	}
	tmpl := `{"listen":"{{.Listen}}","upstream":"{{.Upstream}}","protocol":"{{.Protocol}}","admin":{{.AdminPort}}}`
	if err := os.WriteFile(filepath.Join(d.benchDir, "conf", "mosn-rpc.json.tmpl"), []byte(tmpl), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := d.startMOSN(9, "bolt")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the fake MOSN did not exit")
	}
	conf := filepath.Join(d.workDir, "mosn-bolt-9", "conf", "mosn.json")
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); !strings.HasPrefix(got, `{"listen":"127.0.0.1:9","upstream":"127.0.0.1:7","protocol":"bolt","admin":`) || strings.HasSuffix(got, `"admin":0}`) {
		t.Errorf("rendered %s", got)
	}
	if a, _ := os.ReadFile(args); strings.TrimSpace(string(a)) != "start -c "+conf {
		t.Errorf("MOSN ran with %q, want start -c %s", a, conf)
	}
}

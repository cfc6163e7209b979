package main

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestCapQuota(t *testing.T) {
	for share, want := range map[float64]int{0.5: 5000, 1: 10000, 0.25: 2500, 0.05: 1000} {
		if q, err := capQuota(share); err != nil || q != want {
			t.Errorf("capQuota(%g) = %d, %v; want %d", share, q, err, want)
		}
	}
	for _, bad := range []float64{0, -1, 1.5, math.NaN(), math.Inf(1)} {
		_, err := capQuota(bad)
		if err == nil || !strings.Contains(err.Error(), "-engine-cpu") {
			t.Errorf("capQuota(%g) = %v, want an error naming -engine-cpu", bad, err)
		}
	}
}

// TestCPUCap makes a real cgroup, puts a process in it, and checks the
// kernel sees both the process and the quota. It skips where cgroups cannot
// be made (no cpu controller, no right to write it).
func TestCPUCap(t *testing.T) {
	c, err := newCPUCap(0.5)
	if err != nil {
		t.Skipf("no cgroup for a CPU cap here: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if !strings.Contains(c.desc, "5000") || !strings.Contains(c.desc, "10000") {
		t.Errorf("desc %q lacks the quota and period", c.desc)
	}
	if q := readCapQuota(t, c.dir); q != "5000 10000" {
		t.Errorf("quota and period in %s = %q", c.dir, q)
	}
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := c.Add(cmd.Process.Pid); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal(err)
	}
	cg, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "cgroup"))
	if err != nil {
		t.Error(err)
	}
	if !strings.Contains(string(cg), "/"+filepath.Base(c.dir)+"\n") {
		t.Errorf("process is not in %s:\n%s", c.dir, cg)
	}
	if err := c.Close(); err == nil {
		t.Error("a cgroup with a live process in it was removed")
	}
	cmd.Process.Kill()
	cmd.Wait()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.dir); !os.IsNotExist(err) {
		t.Errorf("%s is still there: %v", c.dir, err)
	}
}

// readCapQuota reads back the quota and period as "quota period" from either
// cgroup layout.
func readCapQuota(t *testing.T, dir string) string {
	if b, err := os.ReadFile(filepath.Join(dir, "cpu.max")); err == nil {
		return strings.TrimSpace(string(b))
	}
	q, err1 := os.ReadFile(filepath.Join(dir, "cpu.cfs_quota_us"))
	p, err2 := os.ReadFile(filepath.Join(dir, "cpu.cfs_period_us"))
	if err1 != nil || err2 != nil {
		t.Fatalf("read the quota in %s: %v, %v", dir, err1, err2)
	}
	return strings.TrimSpace(string(q)) + " " + strings.TrimSpace(string(p))
}

func TestRemoveStaleCaps(t *testing.T) {
	root := t.TempDir()
	live := filepath.Join(root, cgroupPrefix+strconv.Itoa(os.Getpid()))
	dead := filepath.Join(root, cgroupPrefix+"999999999")
	for _, d := range []string{live, dead} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	removeStaleCaps(root)
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the cap of a live driver was removed: %v", err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the cap of a gone driver is still there: %v", err)
	}
}

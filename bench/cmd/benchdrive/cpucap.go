package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// A CPU cap for the engine yardstick. On a 2-core machine the load generator
// has one core and the server the other, and a loopback ping-pong costs the
// client about what it costs the server (the writer of each message pays the
// kernel's delivery of it): uncapped, echoload saturated its core first
// (load CPU 0.99, server 0.85–0.93) and the rate measured the pair, not the
// engine. So each yardstick server runs in a cgroup whose CPU quota is a share
// of one core (0.5 by default). The server then saturates while the load side
// has headroom, and the rate is the engine's throughput on that share: what a
// server benchmark measures. The quota's period is short (10 ms), so that a
// throttled server waits milliseconds, not a long CFS period.
//
// Both cgroup layouts are handled: v2 (cpu.max in a unified hierarchy) and
// v1 (cpu.cfs_quota_us in the cpu controller's own hierarchy). Without
// either, or without the right to write them, the yardstick runs uncapped
// and the report says why.

const (
	cgroupRoot   = "/sys/fs/cgroup"
	capPeriodUs  = 10000
	cgroupPrefix = "velox-bench-"
)

// cpuCap is one cgroup limiting the processes added to it to share of a core.
type cpuCap struct {
	dir   string  // the cgroup's directory
	share float64 // of one core
	desc  string  // how it is set, for the report
}

// capQuota is the quota in µs per capPeriodUs for share of a core.
func capQuota(share float64) (int, error) {
	if !(share > 0 && share <= 1) {
		return 0, fmt.Errorf("-engine-cpu %g: want a share of one core in (0, 1], or 0 for no cap", share)
	}
	q := int(share*capPeriodUs + 0.5)
	return max(q, 1000), nil // the kernel's least quota is 1 ms
}

// newCPUCap makes the cgroup, below the cpu controller's root, named after
// this process.
func newCPUCap(share float64) (*cpuCap, error) {
	quota, err := capQuota(share)
	if err != nil {
		return nil, err
	}
	name := cgroupPrefix + strconv.Itoa(os.Getpid())
	if _, err := os.Stat(filepath.Join(cgroupRoot, "cgroup.controllers")); err == nil {
		return newCPUCapV2(filepath.Join(cgroupRoot, name), share, quota)
	}
	if _, err := os.Stat(filepath.Join(cgroupRoot, "cpu", "cpu.cfs_quota_us")); err == nil {
		return newCPUCapV1(filepath.Join(cgroupRoot, "cpu", name), share, quota)
	}
	return nil, errors.New("no cgroup cpu controller under " + cgroupRoot)
}

func newCPUCapV2(dir string, share float64, quota int) (*cpuCap, error) {
	root := filepath.Dir(dir)
	removeStaleCaps(root)
	ctl, err := os.ReadFile(filepath.Join(root, "cgroup.subtree_control"))
	if err != nil {
		return nil, err
	}
	if !slices.Contains(strings.Fields(string(ctl)), "cpu") {
		if err := writeFile(filepath.Join(root, "cgroup.subtree_control"), "+cpu"); err != nil {
			return nil, fmt.Errorf("enable the cpu controller: %w", err)
		}
	}
	c := &cpuCap{dir: dir, share: share,
		desc: fmt.Sprintf("cgroup v2 `cpu.max` = `%d %d`", quota, capPeriodUs)}
	if err := c.make(map[string]string{"cpu.max": fmt.Sprintf("%d %d", quota, capPeriodUs)}, "cpu.max"); err != nil {
		return nil, err
	}
	return c, nil
}

func newCPUCapV1(dir string, share float64, quota int) (*cpuCap, error) {
	removeStaleCaps(filepath.Dir(dir))
	c := &cpuCap{dir: dir, share: share,
		desc: fmt.Sprintf("cgroup v1 `cpu.cfs_quota_us` = %d per `cpu.cfs_period_us` = %d", quota, capPeriodUs)}
	// The period first: a quota is checked against the current period.
	err := c.make(map[string]string{
		"cpu.cfs_period_us": strconv.Itoa(capPeriodUs),
		"cpu.cfs_quota_us":  strconv.Itoa(quota),
	}, "cpu.cfs_period_us", "cpu.cfs_quota_us")
	if err != nil {
		return nil, err
	}
	return c, nil
}

// make creates the directory and writes files in order; on failure it
// removes the directory again.
func (c *cpuCap) make(values map[string]string, order ...string) error {
	if err := os.Mkdir(c.dir, 0o755); err != nil {
		return err
	}
	for _, f := range order {
		if err := writeFile(filepath.Join(c.dir, f), values[f]); err != nil {
			os.Remove(c.dir)
			return err
		}
	}
	return nil
}

// Add moves process pid, with all its threads, into the cgroup.
func (c *cpuCap) Add(pid int) error {
	return writeFile(filepath.Join(c.dir, "cgroup.procs"), strconv.Itoa(pid))
}

// Close removes the cgroup; the processes in it must have exited.
func (c *cpuCap) Close() error {
	return os.Remove(c.dir)
}

// removeStaleCaps removes the cgroups of earlier runs that were killed
// before they could: those whose driver process is gone (a cgroup still in
// use refuses anyway).
func removeStaleCaps(root string) {
	old, _ := filepath.Glob(filepath.Join(root, cgroupPrefix+"*"))
	for _, d := range old {
		pid := strings.TrimPrefix(filepath.Base(d), cgroupPrefix)
		if _, err := os.Stat(filepath.Join("/proc", pid)); errors.Is(err, os.ErrNotExist) {
			os.Remove(d)
		}
	}
}

func writeFile(path, value string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %q to %s: %w", value, path, err)
	}
	return nil
}

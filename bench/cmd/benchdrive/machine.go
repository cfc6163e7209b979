package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// describeMachine reads cores, CPU model, kernel and memory.
func describeMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Kernel: firstLine(output("uname", "-r"))}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if f := strings.Fields(firstLine(string(b))); len(f) == 3 && f[2] == "kB" {
			if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
				m.Memory = fmt.Sprintf("%.1f GiB", kb/(1<<20))
			}
		}
	}
	return m
}

// loadAvg is the 1, 5 and 15 minute load averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// versions of every program the run used.
func versions(binDir string) map[string]string {
	v := map[string]string{
		"go":      runtime.Version(),
		"nginx":   versionWord(output("nginx", "-v"), "version:", 1),               // "nginx version: nginx/1.22.1"
		"haproxy": "HAProxy " + versionWord(output("haproxy", "-v"), "version", 1), // "HAProxy version 2.6.12-1 ..."
		"wrk":     "wrk " + versionWord(output("wrk", "-v"), "wrk", 1),             // "wrk debian/4.1.0-3+b2 [epoll] ..."
		"kernel":  firstLine(output("uname", "-r")),
		"h2load":  versionWord(output("h2load", "--version"), "h2load", 1), // "h2load nghttp2/1.52.0"
	}
	if g := ghzVersion(binDir); g != "" {
		v["ghz"] = g
	}
	if i := iperfVersion(); i != "" {
		v["iperf3"] = i
	}
	if m := mosnVersion(); m != "" {
		v["mosn"] = m
	}
	// The module versions compiled into the yardstick binary.
	for line := range strings.Lines(output("go", "version", "-m", filepath.Join(binDir, "engineserve"))) {
		f := strings.Fields(line)
		if len(f) >= 3 && (f[0] == "dep" || f[0] == "=>") {
			switch f[1] {
			case "github.com/panjf2000/gnet/v2":
				v["gnet"] = f[2]
			case "github.com/cloudwego/netpoll":
				v["netpoll"] = f[2]
			}
		}
	}
	return v
}

// output runs a short command and returns its stdout and stderr (some tools
// print their version on stderr, or exit non-zero after printing it).
func output(name string, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, _ := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(b)
}

// versionWord is the word that follows after words behind the word key in
// the first line of s, or that whole line when key is not there.
func versionWord(s, key string, after int) string {
	line := firstLine(s)
	f := strings.Fields(line)
	for i, w := range f {
		if w == key && i+after < len(f) {
			return f[i+after]
		}
	}
	return line
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(line)
}

// gitCommit is the short hash of HEAD in dir, "+dirty" when the tree has
// changes outside bench/work and bench/results.
func gitCommit(dir string) string {
	sha := firstLine(output("git", "-C", dir, "rev-parse", "--short", "HEAD"))
	if sha == "" {
		return "nogit"
	}
	if strings.TrimSpace(output("git", "-C", dir, "status", "--porcelain", "--", ".", ":!bench/results", ":!bench/work")) != "" {
		sha += "+dirty"
	}
	return sha
}

package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Scenario is one wrk workload, run against every target.
type Scenario struct {
	Name   string
	Desc   string
	Path   string
	Conns  int
	Script string // wrk Lua script in bench/, or ""
	Header string // extra request header, or ""
}

// scenarios are the workloads of issue 3, in report order.
var scenarios = []Scenario{
	{Name: "get-12b", Desc: "keep-alive GET, 12 B body, 64 conns", Path: "/12", Conns: 64},
	{Name: "get-4k", Desc: "keep-alive GET, 4 KiB body, 64 conns", Path: "/4k", Conns: 64},
	{Name: "get-64k", Desc: "keep-alive GET, 64 KiB body, 64 conns", Path: "/64k", Conns: 64},
	{Name: "conns-1000", Desc: "keep-alive GET, 12 B body, 1,000 conns", Path: "/12", Conns: 1000},
	{Name: "post-4k", Desc: "keep-alive POST, 4 KiB request body, 12 B response, 64 conns", Path: "/echo", Conns: 64, Script: "post4k.lua"},
	{Name: "close-12b", Desc: "new connection per request (Connection: close), 12 B body, 64 conns", Path: "/12", Conns: 64, Header: "Connection: close"},
}

// selectScenarios returns the scenarios named in list (comma-separated;
// empty = all), in report order.
func selectScenarios(list string) ([]Scenario, error) {
	if strings.TrimSpace(list) == "" {
		return scenarios, nil
	}
	want := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	var out []Scenario
	for _, s := range scenarios {
		if want[s.Name] {
			out = append(out, s)
			delete(want, s.Name)
		}
	}
	if len(want) > 0 {
		var names []string
		for _, s := range scenarios {
			names = append(names, s.Name)
		}
		return nil, fmt.Errorf("unknown scenarios %v (have %s)", keys(want), strings.Join(names, ","))
	}
	return out, nil
}

// wrkArgs is the wrk command line (without taskset) for s against addr.
func (s Scenario) wrkArgs(benchDir, addr string, d time.Duration) []string {
	args := []string{"-t1", "-c" + strconv.Itoa(s.Conns), "-d" + wrkSeconds(d), "--latency"}
	if s.Script != "" {
		args = append(args, "-s", benchDir+"/"+s.Script)
	}
	if s.Header != "" {
		args = append(args, "-H", s.Header)
	}
	return append(args, "http://"+addr+s.Path)
}

// wrkSeconds formats d for wrk's -d, which takes whole seconds best.
func wrkSeconds(d time.Duration) string {
	if d < time.Second {
		d = time.Second
	}
	return strconv.Itoa(int(d.Round(time.Second)/time.Second)) + "s"
}

// shellJoin quotes args for a copy-pasteable command line.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t'\"$\\*?;&|<>()") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

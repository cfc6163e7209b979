package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/stat and /proc/PID/stat times
// (100 on every Linux architecture Go supports).
const clockTicks = 100

// cpuMeter measures how much CPU the rest of the machine used during a
// measurement: all busy CPU time minus that of the benchmark's own
// processes. On a shared machine this says which figures to trust.
type cpuMeter struct {
	start time.Time
	busy  int64         // machine busy ticks at start
	own   map[int]int64 // pid -> its ticks at start
}

// startMeter starts measuring; pids are the benchmark's long-lived processes
// (target, origin); load generators that run inside the measurement are
// added to Others by their CPU time.
func startMeter(pids ...int) cpuMeter {
	m := cpuMeter{start: time.Now(), own: map[int]int64{}}
	m.busy, _ = busyTicks()
	for _, pid := range pids {
		m.own[pid], _ = procTicks(pid)
	}
	return m
}

// cpuUse is what a cpuMeter measured, in cores (0.25 = a quarter of one
// core on average over the measurement).
type cpuUse struct {
	Others float64         // everything but the benchmark's processes
	Procs  map[int]float64 // each pid given to startMeter
	Inner  float64         // the processes that ran inside the measurement
}

// Stop ends the measurement. inner is the CPU time of the benchmark's
// processes that started and ended inside it (the load generator).
func (m cpuMeter) Stop(inner time.Duration) cpuUse {
	u := cpuUse{Procs: map[int]float64{}}
	secs := time.Since(m.start).Seconds()
	busy, err := busyTicks()
	if err != nil || secs <= 0 {
		return u
	}
	u.Inner = inner.Seconds() / secs
	ticks := busy - m.busy - int64(inner*clockTicks/time.Second)
	for pid, t0 := range m.own {
		if t, err := procTicks(pid); err == nil {
			ticks -= t - t0
			u.Procs[pid] = float64(t-t0) / clockTicks / secs
		}
	}
	u.Others = max(0, float64(ticks)/clockTicks/secs)
	return u
}

// busyTicks is the machine's busy time from /proc/stat's cpu line: user,
// nice, system and steal (interrupt time is left out, as it is mostly the
// benchmark's own loopback traffic).
func busyTicks() (int64, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	return parseBusyTicks(firstLine(string(b)))
}

func parseBusyTicks(cpuLine string) (int64, error) {
	f := strings.Fields(cpuLine)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("odd /proc/stat line %q", cpuLine)
	}
	var sum int64
	for _, i := range []int{1, 2, 3, 8} { // user nice system steal
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, err
		}
		sum += v
	}
	return sum, nil
}

// procTicks is utime+stime of pid, all threads.
func procTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseProcTicks(string(b))
}

func parseProcTicks(stat string) (int64, error) {
	// The command name may hold spaces and parentheses: fields count from
	// the last ')'. After it: state (field 3) ... utime (14), stime (15).
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("odd /proc/PID/stat")
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0, errors.New("short /proc/PID/stat")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return u + s, nil
}

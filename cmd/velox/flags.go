package main

import (
	"flag"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/proxy"
)

// common are the flags every mode takes.
type common struct {
	loops    int
	pinCPUs  string
	busyPoll time.Duration
	admin    string
	verbose  bool
	// logRepeats: identical error lines written per second (0 = no limit).
	logRepeats int
}

func (c *common) register(fs *flag.FlagSet) {
	fs.IntVar(&c.loops, "loops", 0, "number of event loops (0 = GOMAXPROCS)")
	fs.StringVar(&c.pinCPUs, "pin-cpus", "", "pin loop i to the i-th CPU of this list, e.g. 0,1")
	fs.DurationVar(&c.busyPoll, "busy-poll", 0, "while a loop is busy, spin this long for new events before sleeping, e.g. 50us (0 = never spin; spends the proxy's CPU for latency)")
	fs.StringVar(&c.admin, "admin", "", "admin listener (/healthz, /stats, /debug/pprof/), e.g. 127.0.0.1:9901; :9901 is every IPv4 address, as for listeners")
	fs.BoolVar(&c.verbose, "verbose", false, "log every request")
	fs.IntVar(&c.logRepeats, "log-repeats", proxy.DefaultRepeatBurst, "identical error lines (same status, reason and backend) written per second; the rest are summed up in one line per second (0 = no limit)")
}

// logOptions are the logger's options from --verbose and --log-repeats.
func (c *common) logOptions() (proxy.LogOptions, error) {
	o := proxy.LogOptions{Verbose: c.verbose, RepeatBurst: c.logRepeats}
	switch {
	case c.logRepeats < 0:
		return o, fmt.Errorf("--log-repeats: must be >= 0, got %d", c.logRepeats)
	case c.logRepeats == 0:
		o.RepeatBurst = -1
	}
	return o, nil
}

// cpus parses --pin-cpus.
func (c *common) cpus() ([]int, error) {
	if c.pinCPUs == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(c.pinCPUs, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("--pin-cpus: %q is not a CPU number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// MaxBusyPoll bounds --busy-poll: a longer spin is no longer a short wait
// for the next event but a loop that never sleeps.
const MaxBusyPoll = time.Millisecond

// checkBusyPoll refuses a --busy-poll outside [0, MaxBusyPoll].
func (c *common) checkBusyPoll() error {
	if c.busyPoll < 0 || c.busyPoll > MaxBusyPoll {
		return fmt.Errorf("--busy-poll: %v is out of range (0 to %v; 0 = never spin)", c.busyPoll, MaxBusyPoll)
	}
	return nil
}

// adminAddr reads --admin as every listen address is read
// (config.ListenAddress): ":9901" is every IPv4 address, as for listeners.
// The zero AddrPort means no admin listener.
func (c *common) adminAddr() (netip.AddrPort, error) {
	if c.admin == "" {
		return netip.AddrPort{}, nil
	}
	ap, err := config.ListenAddress(c.admin)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("--admin: %w", err)
	}
	return ap, nil
}

// Command rpcload drives the RPC phase of the benchmark: C connections
// speaking Dubbo (hessian2) or SOFA Bolt v1, each request a copy of one
// frame encoded at start (service, version, method, one string argument)
// with a fresh request id written into it. A few threads (-threads, one by
// default), each with its own epoll, drive all connections with
// non-blocking I/O. Every response is matched to an outstanding request
// of its connection by id; a response to none, a status that is not OK, or
// bytes that are no response frame count as errors.
//
//	rpcload -protocol dubbo -addr 127.0.0.1:20880 -c 1000 -depth 1 -d 10s -warmup 1s
//	rpcload -protocol bolt -addr ADDR -c 1000 -rate 20000 -d 10s
//
// Closed loop (default): -depth requests outstanding per connection, a new
// one sent as each is answered; latency is from its send. Open loop
// (-rate R): R requests per second in all, spread over the connections in
// turn, each with an intended send time; latency is from that time, so a
// stalled server is charged for the requests it delayed (no coordinated
// omission), and requests of the window still unanswered after a drain of
// -drain count as errors.
//
// It prints one JSON object (Result). With -idle N it opens N connections,
// has one request answered on each, prints "ready N failed M" and holds
// them until -hold ends or SIGTERM comes: the idle-memory test.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/velox-proxy/velox/bench/rpcwire"
	"golang.org/x/sys/unix"
)

// Result is what rpcload prints.
type Result struct {
	Protocol string  `json:"protocol"`
	Conns    int     `json:"conns"` // connections set up
	Depth    int     `json:"depth,omitempty"`
	Offered  float64 `json:"offered_rate,omitempty"` // open loop: requests/s asked for
	Requests int64   `json:"requests"`               // OK responses counted in the window
	Sent     int64   `json:"sent"`                   // requests sent in the window
	Seconds  float64 `json:"seconds"`
	Rate     float64 `json:"rate"` // Requests / Seconds
	P50us    float64 `json:"p50_us"`
	P99us    float64 `json:"p99_us"`
	P999us   float64 `json:"p999_us"`
	MaxUs    float64 `json:"max_us"`
	Errors   int64   `json:"errors"` // the sum of Counts
	Counts
}

// options are rpcload's flags.
type options struct {
	protocol, addr   string
	call             rpcwire.Call
	conns, depth     int
	threads          int
	rate             float64
	dur, warm, drain time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.protocol, "protocol", "dubbo", "dubbo or bolt")
	flag.StringVar(&o.addr, "addr", "127.0.0.1:20880", "server address (IPv4)")
	flag.StringVar(&o.call.Service, "service", "org.velox.Echo", "service (Dubbo path, Bolt service header before ':version')")
	flag.StringVar(&o.call.Version, "version", "1.0", "service version")
	flag.StringVar(&o.call.Method, "method", "", "method (default Echo for dubbo, echo for bolt)")
	flag.StringVar(&o.call.Arg, "arg", "hello", "the string argument")
	flag.IntVar(&o.conns, "c", 100, "connections")
	flag.IntVar(&o.depth, "depth", 1, "closed loop: requests outstanding per connection")
	flag.Float64Var(&o.rate, "rate", 0, "open loop: requests per second in all (0 = closed loop)")
	flag.IntVar(&o.threads, "threads", 1, "threads, each an epoll loop with its share of the connections")
	flag.DurationVar(&o.dur, "d", 10*time.Second, "measured duration")
	flag.DurationVar(&o.warm, "warmup", time.Second, "unmeasured time before it")
	flag.DurationVar(&o.drain, "drain", 2*time.Second, "open loop: how long to wait for the window's last answers")
	idle := flag.Int("idle", 0, "idle test: open this many connections, one request each, and hold them")
	hold := flag.Duration("hold", 120*time.Second, "idle test: longest time to hold the connections")
	flag.Parse()
	if o.call.Method == "" {
		o.call.Method = map[string]string{"dubbo": "Echo", "bolt": "echo"}[o.protocol]
	}
	o.call.App, o.call.TimeoutMs = "rpcload", 3000
	raiseFileLimit()
	if *idle > 0 {
		if err := holdIdle(o, *idle, *hold); err != nil {
			fmt.Fprintln(os.Stderr, "rpcload:", err)
			os.Exit(1)
		}
		return
	}
	res, err := run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rpcload:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(res)
}

func sockaddr(addr string) (*unix.SockaddrInet4, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().Is4() {
		return nil, fmt.Errorf("bad IPv4 address %q", addr)
	}
	return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}, nil
}

// run runs the load of o and sums up what its loaders measured.
func run(o options) (*Result, error) {
	proto, err := rpcwire.ProtocolOf(o.protocol)
	if err != nil {
		return nil, err
	}
	frame, err := rpcwire.RequestFrame(o.protocol, o.call)
	if err != nil {
		return nil, err
	}
	sa, err := sockaddr(o.addr)
	if err != nil {
		return nil, err
	}
	t := max(1, min(o.threads, o.conns))
	loaders := make([]*loader, t)
	errs := make([]error, t)
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	for i := range loaders {
		l := &loader{plan: plan{proto: proto, frame: frame, depth: max(1, o.depth), rate: o.rate / float64(t),
			warmup: o.warm, dur: o.dur, firstID: uint64(i + 1), idStep: uint64(t)}}
		loaders[i] = l
		n := o.conns / t
		if i < o.conns%t {
			n++
		}
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			errs[i] = l.dialAll(sa, n, 10*time.Second)
			ready.Done()
			<-gate
			if errs[i] == nil {
				l.run(o.drain)
			}
			l.close()
		}()
	}
	ready.Wait()
	close(gate) // every connection is set up: the clocks start together
	done.Wait()
	res := &Result{Protocol: o.protocol, Seconds: o.dur.Seconds()}
	if o.rate > 0 {
		res.Offered = o.rate
	} else {
		res.Depth = max(1, o.depth)
	}
	var h histogram
	for i, l := range loaders {
		if errs[i] != nil && errs[i] != errNoConn {
			return nil, errs[i]
		}
		res.Conns += l.alive
		res.Requests += l.answered
		res.Sent += l.sent
		res.Counts.add(l.counts)
		h.merge(&l.hist)
	}
	if res.Requests == 0 {
		return nil, fmt.Errorf("no answer in the window (%d of %d connections up, errors %+v)", res.Conns, o.conns, res.Counts)
	}
	res.Rate = float64(res.Requests) / res.Seconds
	res.P50us, res.P99us, res.P999us, res.MaxUs = h.percentile(50), h.percentile(99), h.percentile(99.9), float64(h.max)
	res.Errors = res.Counts.total()
	return res, nil
}

// raiseFileLimit lifts the open file limit to its hard limit.
func raiseFileLimit() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}

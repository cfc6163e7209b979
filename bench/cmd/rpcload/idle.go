package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/velox-proxy/velox/bench/rpcwire"
	"golang.org/x/sys/unix"
)

// idleWindow is how many requests of the idle test are in flight at once.
const idleWindow = 256

// holdIdle opens n connections, has one request answered on each, prints
// "ready OPENED failed FAILED" and holds them until hold ends or a signal
// comes. It fails when a connection could not be set up or answered.
func holdIdle(o options, n int, hold time.Duration) error {
	proto, err := rpcwire.ProtocolOf(o.protocol)
	if err != nil {
		return err
	}
	frame, err := rpcwire.RequestFrame(o.protocol, o.call)
	if err != nil {
		return err
	}
	sa, err := sockaddr(o.addr)
	if err != nil {
		return err
	}
	l := &loader{plan: plan{proto: proto, frame: frame, depth: 1, firstID: 1, idStep: 1}}
	if err := l.dialAll(sa, n, 60*time.Second); err != nil && err != errNoConn {
		return err
	}
	defer l.close()
	// One request each; the window is over before it starts, so no answer
	// sends another.
	l.buf = make([]byte, 64<<10)
	l.nextID = 1
	l.start = time.Now()
	// At most idleWindow requests at a time: a proxy may refuse more in
	// flight on its one upstream connection (velox's max_in_flight).
	next := 0
	events := make([]unix.EpollEvent, 512)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && l.alive > 0 {
		for ; next < len(l.conns) && l.outstanding() < idleWindow; next++ {
			if c := l.conns[next]; c.fd >= 0 {
				l.send(c, 0)
			}
		}
		l.flushDirty()
		if next == len(l.conns) && l.outstanding() == 0 {
			break
		}
		k, err := unix.EpollWait(l.ep, events, 50)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		for _, ev := range events[:k] {
			l.event(l.conns[ev.Fd], ev.Events)
		}
	}
	answered := 0
	for _, c := range l.conns {
		if c.fd >= 0 && len(c.pend) == 0 {
			answered++
		}
	}
	failed := n - answered + int(l.counts.BadStatus+l.counts.UnknownID)
	fmt.Printf("ready %d failed %d\n", answered, failed)
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "rpcload: %d of %d idle connections failed (%+v)\n", failed, n, l.counts)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-sig:
	case <-time.After(hold):
	}
	return nil
}

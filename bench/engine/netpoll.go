package engine

import (
	"context"
	"sync"
	"time"

	"github.com/cloudwego/netpoll"
)

// netpoll's poller count is global and reset by every Configure, so it is set
// once per process.
var (
	netpollOnce sync.Once
	netpollErr  error
)

// ServeNetpoll serves mode with cloudwego/netpoll, one poller. Handlers run
// on netpoll's goroutine pool, as netpoll always does.
func ServeNetpoll(ctx context.Context, mode Mode, addr string, ready ReadyFunc) error {
	netpollOnce.Do(func() {
		netpollErr = netpoll.Configure(netpoll.Config{PollerNum: 1, LoadBalance: netpoll.RoundRobin})
	})
	if netpollErr != nil {
		return netpollErr
	}
	ln, err := netpoll.CreateListener("tcp", addr)
	if err != nil {
		return err
	}
	onRequest := netpollEcho
	if mode == ModeHTTP {
		onRequest = netpollHTTP
	}
	loop, err := netpoll.NewEventLoop(onRequest)
	if err != nil {
		ln.Close()
		return err
	}
	served := make(chan error, 1)
	go func() { served <- loop.Serve(ln) }()
	ready(ln.Addr().String())
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = loop.Shutdown(sctx)
	return nil
}

// netpollEcho writes back everything readable.
func netpollEcho(_ context.Context, conn netpoll.Connection) error {
	r, w := conn.Reader(), conn.Writer()
	n := r.Len()
	in, err := r.Next(n)
	if err != nil {
		return err
	}
	out, err := w.Malloc(n)
	if err != nil {
		return err
	}
	copy(out, in)
	if err := r.Release(); err != nil {
		return err
	}
	return w.Flush()
}

// netpollHTTP answers each complete request head with Response. netpoll
// requires a handler to read all input, so a partial head is waited for here
// (a blocking Peek, the netpoll way).
func netpollHTTP(_ context.Context, conn netpoll.Connection) error {
	r, w := conn.Reader(), conn.Writer()
	for r.Len() > 0 {
		buf, err := r.Peek(r.Len())
		if err != nil {
			return err
		}
		n, consumed := CountRequests(buf)
		if n == 0 {
			if _, err := r.Peek(len(buf) + 1); err != nil {
				return err
			}
			continue
		}
		if err := r.Skip(consumed); err != nil {
			return err
		}
		for range n {
			if _, err := w.WriteBinary(Response); err != nil {
				return err
			}
		}
		if err := r.Release(); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return nil
}

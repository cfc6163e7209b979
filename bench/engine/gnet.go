package engine

import (
	"context"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// ServeGnet serves mode with gnet v2, one event loop, no multicore.
func ServeGnet(ctx context.Context, mode Mode, addr string, ready ReadyFunc) error {
	s := &gnetServer{mode: mode, addr: addr, ready: ready}
	proto := "tcp://" + addr
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = gnet.Stop(sctx, proto)
	}()
	err := gnet.Run(s, proto,
		gnet.WithMulticore(false),
		gnet.WithNumEventLoop(1),
		gnet.WithLockOSThread(true),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
	)
	if ctx.Err() != nil {
		<-stopped
		return nil
	}
	return err
}

type gnetServer struct {
	gnet.BuiltinEventEngine
	mode  Mode
	addr  string
	ready ReadyFunc
	// Owned by the single event loop: the responses of one OnTraffic.
	out []byte
}

func (s *gnetServer) OnBoot(gnet.Engine) gnet.Action {
	s.ready(s.addr)
	return gnet.None
}

func (s *gnetServer) OnTraffic(c gnet.Conn) gnet.Action {
	if s.mode == ModeEcho {
		buf, _ := c.Next(-1)
		if _, err := c.Write(buf); err != nil {
			return gnet.Close
		}
		return gnet.None
	}
	buf, _ := c.Peek(-1)
	n, consumed := CountRequests(buf)
	if n == 0 {
		return gnet.None
	}
	s.out = AppendResponses(s.out[:0], n)
	_, _ = c.Discard(consumed)
	if _, err := c.Write(s.out); err != nil {
		return gnet.Close
	}
	return gnet.None
}

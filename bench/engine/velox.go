//go:build !novelox

package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/velox-proxy/velox/eventloop"
)

// ServeVelox serves mode with one velox eventloop.
// A panic from the eventloop package (its stubs panic until it is
// implemented) is returned as an error.
func ServeVelox(ctx context.Context, mode Mode, addr string, ready ReadyFunc) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("engine: velox eventloop: %v", p)
		}
	}()
	g, err := eventloop.New(eventloop.Config{Loops: 1})
	if err != nil {
		return err
	}
	var h eventloop.Handler = veloxEcho{}
	if mode == ModeHTTP {
		h = &veloxHTTP{}
	}
	bound, err := g.Listen(addr, veloxAcceptor{h: h})
	if err != nil {
		return err
	}
	if err := g.Start(); err != nil {
		return err
	}
	ready(bound)
	<-ctx.Done()
	g.Stop()
	return nil
}

// veloxAcceptor hands the same handler to every connection: the group has one
// loop, and the handlers keep no per-connection state.
type veloxAcceptor struct {
	h eventloop.Handler
}

func (a veloxAcceptor) Accept(*eventloop.Conn) eventloop.Handler { return a.h }

// veloxEcho writes back what it reads.
type veloxEcho struct{}

func (veloxEcho) OnOpen(*eventloop.Conn)         {}
func (veloxEcho) OnWritable(*eventloop.Conn)     {}
func (veloxEcho) OnClose(*eventloop.Conn, error) {}
func (veloxEcho) OnData(c *eventloop.Conn, data []byte) int {
	if err := c.Write(data); err != nil && !errors.Is(err, eventloop.ErrClosed) {
		c.Close()
	}
	return len(data)
}

// veloxHTTP answers each complete request head with Response.
type veloxHTTP struct {
	// Owned by the loop: the responses of one OnData.
	out []byte
}

func (*veloxHTTP) OnOpen(*eventloop.Conn)         {}
func (*veloxHTTP) OnWritable(*eventloop.Conn)     {}
func (*veloxHTTP) OnClose(*eventloop.Conn, error) {}
func (h *veloxHTTP) OnData(c *eventloop.Conn, data []byte) int {
	n, consumed := CountRequests(data)
	if n == 0 {
		return 0
	}
	h.out = AppendResponses(h.out[:0], n)
	if err := c.Write(h.out); err != nil {
		c.Close()
	}
	return consumed
}

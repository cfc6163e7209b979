package proxy

import (
	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/eventloop"
)

// A listener with protocol auto tells its clients' protocols apart by the
// first byte they send (MOSN's protocol auto-detection): 0xda is Dubbo's
// magic, 0x01 and 0x02 are SOFA Bolt's v1 and v2 proto byte; anything else
// is HTTP (HTTP/1.x methods and the HTTP/2 preface "PRI ..." are ASCII,
// and the http side tells those two apart itself). The connection's
// handler is then replaced by that protocol's, which reads the same bytes.
// A client that sends nothing within timeouts.header_read is closed.

// autoRoutes are the two RPC protocols of an auto listener.
type autoRoutes struct {
	dubbo, bolt *rpcRoutes
}

// buildAutoRoutes makes the RPC sides of auto listener i.
func buildAutoRoutes(i int, l *config.Listener, cfg *config.Config, byName map[string]int) (*rpcRoutes, error) {
	one := func(protocol string) (*rpcRoutes, error) {
		c := *l
		c.Protocol = protocol
		return buildRPCRoutes(i, &c, cfg, byName)
	}
	d, err := one(config.ListenerDubbo)
	if err != nil {
		return nil, err
	}
	b, err := one(config.ListenerBolt)
	if err != nil {
		return nil, err
	}
	return &rpcRoutes{listener: i, auto: &autoRoutes{dubbo: d, bolt: b}}, nil
}

// autoDown is a client connection of an auto listener before its first
// byte.
type autoDown struct {
	ls    *loopState
	r     *autoRoutes
	timer eventloop.Timer
	ec    *eventloop.Conn
}

func (ls *loopState) acceptAuto(c *eventloop.Conn, r *autoRoutes) eventloop.Handler {
	a := &autoDown{ls: ls, r: r, ec: c}
	a.timer.Init(ls.loop, func() { c.Close() })
	return a
}

func (a *autoDown) OnOpen(c *eventloop.Conn) { a.timer.Reset(a.ls.tbl.limits.headerRead) }

func (a *autoDown) OnData(c *eventloop.Conn, data []byte) int {
	a.timer.Stop()
	var h eventloop.Handler
	switch data[0] {
	case 0xda:
		h = a.ls.acceptRPC(c, a.r.dubbo)
	case 0x01, 0x02:
		h = a.ls.acceptRPC(c, a.r.bolt)
	default:
		h = a.ls.accept(c, a.r.dubbo.listener, false)
	}
	if h == nil {
		c.Close()
		return len(data)
	}
	c.SetHandler(h)
	h.OnOpen(c)
	return h.OnData(c, data)
}

func (a *autoDown) OnWritable(c *eventloop.Conn)         {}
func (a *autoDown) OnClose(c *eventloop.Conn, err error) { a.timer.Stop() }

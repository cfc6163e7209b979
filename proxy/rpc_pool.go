package proxy

import "github.com/velox-proxy/velox/upstream"

// rpcPool is one loop's multiplexed connections of one RPC listener to one
// cluster's backends: up to rpc.upstream_conns per backend, each carrying
// up to rpc.max_in_flight requests at once. Owned by the loop.
type rpcPool struct {
	ls      *loopState
	r       *rpcRoutes
	cs      *clusterState
	conns   [][]*rpcUp // by Backend.Index
	retired bool
}

// conn returns the connection to b a new request goes on: the least
// loaded open one with room, a new one while fewer than upstream_conns are
// open and every open one has requests in flight, or nil when all are full
// or no connection can be dialled.
func (p *rpcPool) conn(b *upstream.Backend) *rpcUp {
	var best *rpcUp
	usable := 0 // a closing connection (readonly event, retired) does not count
	for _, u := range p.conns[b.Index] {
		if !u.usable() {
			continue
		}
		usable++
		if len(u.pending) < p.r.opts.maxInFlight && (best == nil || len(u.pending) < len(best.pending)) {
			best = u
		}
	}
	if best != nil && len(best.pending) == 0 || usable >= p.r.opts.upstreamConns {
		return best
	}
	if u := p.dial(b); u != nil {
		return u
	}
	return best
}

// dial opens a new connection to b, through the cluster's TLS when it
// has one (no ALPN: tls_upstream.go); nil when the pool refuses
// (max_conns) or the socket cannot be made. Requests sent on a TLS
// connection before its handshake is done wait in u (rpcUp.write).
func (p *rpcPool) dial(b *upstream.Backend) *rpcUp {
	u := newRPCUp(p, b)
	u.hold = p.cs.tls != nil
	uc, err := p.cs.dial(b, u, true)
	if err != nil {
		return nil
	}
	u.uc = uc
	p.ls.stats.upstreamConnects.Add(1)
	p.conns[b.Index] = append(p.conns[b.Index], u)
	return u
}

// write sends b on u (gathered: flushed at the end of the loop's
// iteration), or, on a TLS connection not yet open, keeps it
// until OnOpen (sendEarly): what the eventloop queues before the
// handshake would go out ahead of the ClientHello, in plaintext.
func (u *rpcUp) write(b []byte) {
	if u.hold && !u.open {
		u.early = append(u.early, b...)
		return
	}
	u.uc.EC.Gather(b) // the requests of one iteration, from every client, go in one writev
}

// sendEarly writes what waited for the handshake (OnOpen).
func (u *rpcUp) sendEarly() {
	if len(u.early) > 0 {
		u.uc.EC.Write(u.early)
		u.early = nil
	}
}

// buffered is what u has yet to send: the eventloop's queue and what waits
// for the handshake.
func (u *rpcUp) buffered() int { return u.uc.EC.Buffered() + len(u.early) }

// remove forgets u, which closed.
func (p *rpcPool) remove(u *rpcUp) {
	list := p.conns[u.b.Index]
	for i, v := range list {
		if v == u {
			p.conns[u.b.Index] = append(list[:i], list[i+1:]...)
			return
		}
	}
}

// retire closes the pool's connections as their pending requests end: a
// reload replaced its cluster.
func (p *rpcPool) retire() {
	p.retired = true
	for _, list := range p.conns {
		for _, u := range list {
			u.closing = true
			u.idleCheck()
		}
	}
}

package proxy

// rpcLoop is one loop's RPC state: the client connections of its RPC
// listeners, its multiplexed upstream pools and its free streams. Owned
// by the loop.
type rpcLoop struct {
	clients map[*rpcDown]struct{}
	pools   map[rpcPoolKey]*rpcPool
	free    []*rpcStream
	fs      *Stream // lent to the filters of RPC requests (rpc_filter.go)
	scratch rpcScratch
}

// rpcPoolKey: each RPC listener has its own connections to each cluster
// (they speak its protocol, with its options).
type rpcPoolKey struct {
	listener int
	protocol string // an auto listener has both
	cluster  string
}

func (rl *rpcLoop) add(d *rpcDown) {
	if rl.clients == nil {
		rl.clients = map[*rpcDown]struct{}{}
	}
	rl.clients[d] = struct{}{}
}

// pool returns the pool of r's listener to cluster cs, making it, or
// making a new one when a reload changed the cluster (the old one retires:
// its connections close once their pending requests are answered).
func (rl *rpcLoop) pool(ls *loopState, r *rpcRoutes, cs *clusterState) *rpcPool {
	if rl.pools == nil {
		rl.pools = map[rpcPoolKey]*rpcPool{}
	}
	k := rpcPoolKey{r.listener, r.proto.Name(), cs.cluster.Name}
	p := rl.pools[k]
	if p != nil && p.cs == cs {
		return p
	}
	if p != nil {
		p.retire()
	}
	p = &rpcPool{ls: ls, r: r, cs: cs, conns: make([][]*rpcUp, len(cs.cluster.Backends))}
	rl.pools[k] = p
	return p
}

// drain sends every client the protocol's drain notice (Dubbo's readonly
// event) and closes those with nothing pending; the others close when
// their last stream ends.
func (rl *rpcLoop) drain() {
	for d := range rl.clients {
		d.drain()
	}
}

// getStream takes a free stream or makes one.
func (rl *rpcLoop) getStream(ls *loopState) *rpcStream {
	n := len(rl.free)
	if n == 0 {
		st := &rpcStream{}
		st.timer.Init(ls.loop, st.onTimeout)
		return st
	}
	st := rl.free[n-1]
	rl.free = rl.free[:n-1]
	return st
}

func (rl *rpcLoop) putStream(st *rpcStream) {
	st.reset()
	rl.free = append(rl.free, st)
}

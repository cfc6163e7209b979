package proxy

// retry sends st, whose connection failed to connect, to another backend
// of its cluster, within the cluster's retries (the rule of HTTP and tcp:
// clusterState.nextBackend). Only requests written while the connection
// was connecting have their bytes (st.raw); a request already on an open
// connection is never sent twice. One-way requests too: they are streams
// until their connection is open. It reports whether st went on.
func (st *rpcStream) retry() bool {
	if len(st.raw) == 0 {
		return false
	}
	b, ok := st.cs.nextBackend(st.backend, st.tries)
	if !ok {
		return false
	}
	old := st.up
	up := old.ls.rpc.pool(old.ls, old.pool.r, st.cs).conn(b)
	if up == nil {
		st.backend = b // nextBackend handed the pick of b to st: end releases it
		return false
	}
	delete(old.pending, st.upID)
	old.ls.stats.retries.Add(1)
	st.tries++
	st.backend, st.up, st.upID = b, up, up.allocID()
	up.pool.r.proto.SetID(st.raw, st.upID)
	up.write(st.raw) // held until the handshake on a TLS connection still connecting
	b.CountRequest()
	if up.open {
		st.raw = st.raw[:0]
	}
	up.pending[st.upID] = st
	if st.oneway && up.open {
		st.end(nil) // written: a one-way request is done
	}
	return true
}

// Package upstream is the origin side of velox: clusters of backends, their
// passive health, the load balancers that pick one, and the per-loop pools of
// keep-alive connections to them.
//
// Imported by proxy (routing a request to a cluster, picking a backend,
// getting a connection) and cmd/velox (building clusters from config, /stats).
// It imports config for the cluster description and eventloop for
// connections and timers. Read next: cluster.go (NewCluster, defaults),
// health.go (ejection after consecutive failures, with exponential backoff),
// balancer.go (Picker, the order of preference with panic mode, and the two
// balancers), pool.go (one loop's connections).
//
// # Ownership
//
// A Cluster and its Backends are immutable after NewCluster and shared by all
// loops; the only mutable state of a Backend is its health and counters,
// which are atomics behind a pointer that the Backend of the same address in
// the next table (From.Prev, at a reload or a new DNS answer) shares. A Picker and a Pool belong to one loop and one cluster:
// make one of each per loop with NewPicker and NewPool, and touch them only
// from that loop.
//
// # Life of a pooled connection
//
//	Dial ─(OnOpen)→ active ─Put→ idle ─Get→ active ─Put→ … ─→ closed
//
// While active, the user's handler is set on Conn.EC and the user's OnClose
// must call Pool.Forget. While idle, the pool's own handler is set: any byte
// from the server, a close by the server, or the idle timeout closes the
// connection and drops it from the pool.
package upstream

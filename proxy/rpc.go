package proxy

import (
	"cmp"
	"time"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/rpcx"
)

// RPC proxying (a listener with protocol dubbo or bolt): multiplexed
// request/response frames, as MOSN's xprotocol path. The design:
//
//   - A client connection is an rpcDown (rpc_down.go). It decodes frames
//     with the listener's rpcx.Protocol from the loop's input, in place.
//     Heartbeats are answered there and never forwarded; a frame over
//     rpc.max_frame or one that does not decode closes that connection
//     with a log line, and nothing else.
//   - Each request is presented to routing as a neutral head.Request
//     (rpc_route.go): Host = the service (interface) name, Method = the
//     RPC method, Path = "/<service>/<method>", headers "version" and
//     "group" and any attachment (Dubbo) or header (Bolt) a route names.
//     So products match services by host, routes by path, methods and
//     headers, with the config of HTTP. The listener's cluster is the
//     default. The filters of HTTP run on that head, at the same callback
//     points, through a Stream lent for the call (rpc_filter.go); their
//     answers become the protocol's error responses. The head is what the
//     server will read (rpcx.Head: Dubbo attachments, Bolt's SofaRequest);
//     a request that names two services is refused.
//   - The balancer picks a backend per request. Each loop keeps, per RPC
//     listener, cluster and backend, up to rpc.upstream_conns multiplexed
//     connections (rpc_pool.go); the request goes on the least loaded one
//     with room (rpc.max_in_flight), its id rewritten in place
//     (Protocol.SetID, no copy of the body) to one the upstream connection
//     allocates (rpc_up.go).
//   - The stream table is two maps per loop-owned connection: the upstream
//     connection's pending requests by upstream id, and the client
//     connection's set of streams. A response finds its stream by its id,
//     gets the client's id back and is written to the client. The stream
//     is an rpcStream (rpc_stream.go), recycled by the loop.
//   - Failures are answered in the protocol's own terms
//     (Protocol.AppendError): the cluster's response_timeout per request
//     (timeout), no route or no healthy backend or a refused connect (no
//     backend), every connection full or the client's rpc.max_client_in_flight
//     reached (overload), a head that cannot be read (bad request), an
//     upstream connection that closed with requests pending (upstream).
//     A client that closes has its streams forgotten; late responses are
//     dropped and counted. One-way requests end when written.
//   - Passive health as HTTP: a response reports success, a timeout, a
//     failed connect or a lost connection reports failure. A failed
//     connect sends the requests that waited for it to the next backend
//     (rpc_retry.go, clusterState.nextBackend: the cluster's retries).
//   - velox sends its own heartbeat on an upstream connection that read
//     nothing for rpc.heartbeat_interval and closes it when no answer comes
//     within rpc.heartbeat_timeout.
//   - Drain (shutdown): Dubbo clients get a readonly event; every client
//     connection closes once its streams are done. A Dubbo backend's
//     readonly event stops new requests to that connection, which closes
//     when its pending ones are answered.
//   - Backpressure: a client whose requests fill an upstream connection's
//     output past limits.stream_buffer is paused until it drains; a client
//     that does not read its responses is paused (it cannot send more) once
//     its output passes limits.stream_buffer.
//
// Everything here is owned by the loop of the client connection; upstream
// connections are that loop's too.

// rpcRoutes is what an RPC listener's connections need of the table.
type rpcRoutes struct {
	listener int
	auto     *autoRoutes // protocol auto: the two RPC sides (rpc_auto.go); the fields below are unset
	proto    rpcx.Protocol
	cluster  int // table cluster index of the listener's cluster; -1 = none
	opts     rpcOpts
}

// rpcOpts are config.RPC with the defaults resolved.
type rpcOpts struct {
	upstreamConns     int
	maxInFlight       int
	maxClientInFlight int
	hbInterval        time.Duration
	hbTimeout         time.Duration
}

// buildRPCRoutes makes the routes of listener i if it is an RPC one (nil
// otherwise).
func buildRPCRoutes(i int, l *config.Listener, cfg *config.Config, byName map[string]int) (*rpcRoutes, error) {
	if l.Protocol == config.ListenerAuto {
		return buildAutoRoutes(i, l, cfg, byName)
	}
	if !config.IsRPC(l.Protocol) {
		return nil, nil
	}
	ci, err := clusterIndex(l.Cluster, byName)
	if err != nil {
		return nil, err
	}
	o := &l.RPC
	r := &rpcRoutes{listener: i, cluster: ci, opts: rpcOpts{
		upstreamConns:     cmp.Or(o.UpstreamConns, config.DefaultRPCUpstreamConns),
		maxInFlight:       cmp.Or(o.MaxInFlight, config.DefaultRPCMaxInFlight),
		maxClientInFlight: cmp.Or(o.MaxClientInFlight, config.DefaultRPCMaxClientInFlight),
		hbInterval:        o.HeartbeatInterval.Or(config.DefaultRPCHeartbeatInterval),
		hbTimeout:         o.HeartbeatTimeout.Or(config.DefaultRPCHeartbeatTimeout),
	}}
	maxFrame := cmp.Or(o.MaxFrame, config.DefaultRPCMaxFrame)
	if l.Protocol == config.ListenerDubbo {
		r.proto = &rpcx.Dubbo{MaxFrame: maxFrame}
	} else {
		r.proto = &rpcx.Bolt{MaxFrame: maxFrame}
	}
	return r, nil
}

// acceptRPC makes the handler of a new connection of an RPC listener.
func (ls *loopState) acceptRPC(c *eventloop.Conn, r *rpcRoutes) eventloop.Handler {
	if r.auto != nil {
		return ls.acceptAuto(c, r.auto)
	}
	d := &rpcDown{ls: ls, r: r, ec: c, streams: map[*rpcStream]struct{}{}, rpcScratch: &ls.rpc.scratch}
	if ls.srv.hasConnFilters() { // a Session for them, kept for Finish
		if d.session = ls.admitTCP(c); d.session == nil {
			return nil
		}
	}
	d.ip = c.RemoteIP(d.ipBuf[:0])
	ls.stats.accepted.Add(1)
	ls.stats.active.Add(1)
	ls.rpc.add(d)
	return d
}

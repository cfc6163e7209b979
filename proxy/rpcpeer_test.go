package proxy

// Helpers of the RPC end-to-end tests. The peers run as subprocesses
// (internal/rpcpeer: dubbo-go's built from internal/dubbopeer,
// sofa-rpc-node's in node), on 127.0.0.1, each bounded by rpcpeer's
// StartWait and RunWait or its own flags.

import (
	"net"
	"reflect"
	"testing"
)

// freePort returns a port of 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// rpcTotals sums the rpc counters of protocol name over the loops.
func (tp *testProxy) rpcTotals(name string) RPCProtoStats {
	var sum RPCProtoStats
	total := reflect.ValueOf(&sum).Elem()
	for _, l := range tp.Stats().Loops {
		v := reflect.ValueOf(l.RPC.Dubbo)
		if name == "bolt" {
			v = reflect.ValueOf(l.RPC.Bolt)
		}
		for i := range total.NumField() {
			if f := total.Field(i); f.CanInt() {
				f.SetInt(f.Int() + v.Field(i).Int())
			} else {
				f.SetUint(f.Uint() + v.Field(i).Uint())
			}
		}
	}
	return sum
}

// checkRPCLeaks waits until no RPC stream is left in any loop's tables
// (in_flight is their count) and no client connection is open.
func (tp *testProxy) checkRPCLeaks(t *testing.T, name string) {
	t.Helper()
	eventually(t, "no RPC stream and no client connection left", func() bool {
		return tp.rpcTotals(name).InFlight == 0 && tp.totals().DownstreamConnsActive == 0
	})
}

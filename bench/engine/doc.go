// Package engine holds the servers of the engine yardstick: the same two
// workloads served by velox's eventloop, by gnet v2 and by cloudwego/netpoll,
// each with one loop (one poller), so that bench/cmd/benchdrive can compare
// the reactors themselves, without any HTTP proxying on top.
//
// The workloads (Mode):
//
//   - ModeEcho: every byte received is written back (64-byte ping-pong,
//     driven by bench/cmd/echoload).
//   - ModeHTTP: every complete request head ("...\r\n\r\n", no body) gets
//     the fixed response Response (driven by wrk).
//
// The servers are ordinary functions so that tests can run them in process;
// bench/cmd/engineserve runs one of them as its own pinned process for the
// benchmark. Read next: engine.go (the dispatch table and the HTTP framing
// shared by all three), then velox.go, gnet.go, netpoll.go.
package engine

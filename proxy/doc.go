// Package proxy is velox's request pipeline: it turns bytes from downstream
// connections into requests (through a codec such as h1), runs filters at the
// callback points, routes each request to a product (tenant, by Host) and a
// cluster (by ordered rules), forwards it over a pooled upstream connection
// owned by the same loop, and streams the response back.
//
// Imported by cmd/velox. Read next: server.go (Server, reload, drain),
// downstream.go (one client connection), stream.go (one request),
// upstreamside.go (its upstream connection), response.go (the response
// path), clock.go (timeouts and whom they blame), tunnel.go and upgrade.go
// (after 101), route.go, filter.go, status.go.
//
// # Callback points, in order
//
//	Accept → Handshake → (per request) BeforeLocation → FoundProduct →
//	AfterLocation → ReadResponse → RequestFinish → (at close) Finish
//
// Accept, Handshake and Finish run ConnFilters; the others run
// RequestFilters (ReadResponse also sees the response head). A filter may
// end a request with its own response (Stream.Respond) at any request point
// before the response head is written.
//
// # Ownership and lifetimes
//
// A downstream connection, its current stream and the stream's upstream
// connection all belong to one loop; nothing here locks. A request head is
// parsed in the loop's read buffer, then copied into the stream's own pooled
// buffer (Stream.adoptHead) before any filter runs, so Stream.Request() is
// valid at every callback point up to RequestFinish. The response head is
// valid during ReadResponse filters only.
//
// # Clocks
//
// Each timeout runs only while the side it times is the one holding the
// request up, and blames only that side: clock.go has the table.
//
// # Backpressure
//
// Bytes read from one side are written to the other from the same buffer.
// When the writer side queues more than Limits.StreamBuffer bytes, the reader
// side is paused; OnWritable of the writer resumes it. So a slow client never
// makes velox buffer a whole response.
package proxy

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
// before the response head is written; the client's codec writes it in the
// client's protocol.
//
// Filters and routing see a protocol-neutral head (package head): a
// head.Request from Stream.Request and a head.Response from
// Stream.Response, the same for HTTP/1.x and HTTP/2 on either side
// (head.Request documents what each protocol sets each field to). A filter
// needs no codec package.
//
// # Ownership and lifetimes
//
// A downstream connection, its current stream and the stream's upstream
// connection all belong to one loop; nothing here locks. A request head is
// parsed in the loop's read buffer, then copied into the stream's own pooled
// buffer (Stream.adoptHead) before any filter runs; an HTTP/2 request head
// is built in that buffer (h2head.go). So the head.Request of
// Stream.Request() is valid at every callback point up to RequestFinish,
// whatever the protocol. The head.Response of Stream.Response() is valid
// during ReadResponse filters only. What a filter puts in either head must
// stay valid until the request ends.
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

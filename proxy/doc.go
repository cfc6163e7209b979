// Package proxy is velox's request pipeline: it turns bytes from downstream
// connections into requests (through a codec such as h1), runs filters at the
// callback points, routes each request to a product (tenant, by Host) and a
// cluster (by ordered rules), forwards it over a pooled upstream connection
// owned by the same loop, and streams the response back.
//
// Imported by cmd/velox. Read next: server.go (Server, reload, drain),
// downstream.go (one client connection), stream.go (one request),
// downside.go (what a stream needs of its client side), upside.go (what
// it needs of its backend side), up_h1.go (an HTTP/1.1 upstream
// connection), response.go (its response path),
// flow.go (backpressure), clock.go (timeouts and whom they blame),
// tunnel.go and upgrade.go (after 101), route.go, filter.go, status.go;
// for HTTP/2: down_h2.go, h2stream.go, h2clock.go, h2head.go (client
// side), ws_h2.go (WebSocket over HTTP/2, RFC 8441, bridged to an
// HTTP/1.1 Upgrade), up_h2.go, stream_h2up.go (backend side), trailers.go; tcp.go
// for tcp listeners (bytes both ways, no stream); rpc.go for dubbo, bolt
// and auto listeners (RPC streams of their own, routed by the products).
//
// # Protocols on each side
//
// One Stream type carries every request, whatever the protocols. Its
// client side is a downSide: the HTTP/1.1 downConn (one stream at a time)
// or an h2Stream of an HTTP/2 connection (h2Down, found by the preface on
// the same listener). Its backend side is an upSide: an HTTP/1.1
// connection from the cluster's pool (upH1 over Stream.uc; one stream,
// pooled after it) or a stream of a shared HTTP/2 connection (upH2 over
// Stream.hu and Stream.upID; clusters with protocol h2). Both sides call
// the core back with the same events (upside.go has the list), so
// filters, routing, clocks, backpressure and retries are one code for all
// four pairings. The stream table is the maps that find a stream from
// either end: (client connection, stream id) in h2Down.streams (an
// HTTP/1.1 connection holds its one stream in downConn.st), (backend
// connection, stream id) in h2Up.streams, and an HTTP/1.1 backend
// connection in streamTable. Cancelling either side cancels the other.
//
// What stays protocol-specific on the backend side is how the response
// arrives: bytes parsed by response.go for HTTP/1.1 (passed through with
// their framing when the client speaks HTTP/1.1 too, the fast path),
// events from h2.Conn for HTTP/2 (stream_h2up.go); and the tunnel after
// 101 (tunnel.go), which only an HTTP/1.1 backend has (an HTTP/2 client's
// extended CONNECT reaches it too, ws_h2.go).
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
// makes velox buffer a whole response. For HTTP/2 "paused" is a window
// withheld for that stream only (flow.go has the table).
package proxy

// Package proxy is velox's request pipeline: it turns bytes from downstream
// connections into requests (through a codec such as h1), runs filters at the
// callback points, routes each request to a product (tenant, by Host) and a
// cluster (by ordered rules), forwards it over a pooled upstream connection
// owned by the same loop, and streams the response back.
//
// Imported by cmd/velox. Read next: server.go (Server, reload, drain),
// downstream.go (one client connection), stream.go (one request),
// upstreamside.go (its upstream connection), response.go (the response
// path), tunnel.go (after 101), route.go, filter.go, status.go.
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
// connection all belong to one loop; nothing here locks. The parsed request
// head points into the loop's read buffer and is valid only while the
// callback that parsed it runs (filters at BeforeLocation, FoundProduct and
// AfterLocation run inside it). What a stream needs later (the head to send
// upstream, the method and path for logs) is copied into its own pooled
// buffer. The response head is valid during ReadResponse filters only.
//
// # Backpressure
//
// Bytes read from one side are written to the other from the same buffer.
// When the writer side queues more than Limits.StreamBuffer bytes, the reader
// side is paused; OnWritable of the writer resumes it. So a slow client never
// makes velox buffer a whole response.
package proxy

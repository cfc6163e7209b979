// Package head is the protocol-neutral message head of velox: the request
// and response heads that filters, routing and Stream.Respond see, whatever
// wire protocol carried the message. Each codec fills a Request from what it
// decoded (h1.ParseRequest directly, since h1.Request is this Request; the
// proxy's HTTP/2 mapping from an h2.Head) and writes its own wire from one,
// so a filter sees the same head for the same request over HTTP/1.1 and
// HTTP/2: method, path, query, authority (Host) and header fields.
//
// A head does not own its bytes. Every []byte points into memory of the
// codec or the stream that filled it (for the proxy: the stream's own copy
// of the request head, valid at every callback point; the response head is
// valid during read_response), or into memory a filter keeps alive until the
// message has been written. The field docs say, for each protocol, what a
// codec sets each field to; the fields only HTTP/1.x has a use for (Minor,
// KeepAlive, Upgrade, HeadLen) get, from another protocol, the values of a
// plain persistent HTTP/1.1 message (Minor 1, KeepAlive true, Upgrade false,
// HeadLen 0), so that an HTTP/1.1 writer needs no special case.
//
// RPC heads (Dubbo, SOFA Bolt) will add one field to Request, RPC of type
// RPC struct{ Service, Method, Version, Group []byte; ID uint64 }, zero for
// HTTP, together with the first codec that fills it: declared now it would
// be an API no codec has tried, and every HTTP head parse would reset 104
// bytes that nothing reads.
//
// Header access (Get, Has, Del, Add, Set) matches names with ASCII case
// folding, skips deleted fields and does not allocate, except Add and Set
// when Headers must grow.
//
// Imports only codec; imported by h1 (whose Request, Response, Header and
// Framing are aliases of these types), proxy and Go filters. Read next:
// request.go, response.go, field.go, framing.go.
package head

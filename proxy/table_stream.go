package proxy

import "github.com/velox-proxy/velox/eventloop"

// streamKey names a stream by its downstream connection and the stream id on
// it (HTTP/1.1: the request's sequence number; HTTP/2: the stream id).
type streamKey struct {
	down *eventloop.Conn
	id   uint32
}

// streamTable is one loop's map of streams in flight, from downstream
// (conn, id) to the stream and from the upstream connection back to it.
// Cancelling either side finds the other here. Owned by the loop.
type streamTable struct {
	byDown map[streamKey]*Stream
	byUp   map[*eventloop.Conn]*Stream
}

func newStreamTable() streamTable {
	return streamTable{byDown: map[streamKey]*Stream{}, byUp: map[*eventloop.Conn]*Stream{}}
}

func (t *streamTable) add(s *Stream) { t.byDown[streamKey{s.dc.ec, s.id}] = s }

func (t *streamTable) remove(s *Stream) { delete(t.byDown, streamKey{s.dc.ec, s.id}) }

func (t *streamTable) bindUp(up *eventloop.Conn, s *Stream) { t.byUp[up] = s }

func (t *streamTable) unbindUp(up *eventloop.Conn) { delete(t.byUp, up) }

// upstreamOf returns the stream an upstream connection serves, or nil.
func (t *streamTable) upstreamOf(up *eventloop.Conn) *Stream { return t.byUp[up] }

func (t *streamTable) len() int { return len(t.byDown) }

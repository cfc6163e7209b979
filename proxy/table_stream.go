package proxy

import "github.com/velox-proxy/velox/eventloop"

// streamTable is one loop's map from upstream connections to the streams
// they serve; the stream holds its downstream connection and id, so either
// side finds the other and cancelling one cancels both. With HTTP/1.1 a
// client connection has one stream at a time (downConn.st); a map by
// (downstream conn, stream id) comes with HTTP/2, where ids exist. Owned by
// the loop.
type streamTable struct {
	byUp map[*eventloop.Conn]*Stream
}

func newStreamTable() streamTable {
	return streamTable{byUp: map[*eventloop.Conn]*Stream{}}
}

func (t *streamTable) bindUp(up *eventloop.Conn, s *Stream) { t.byUp[up] = s }

func (t *streamTable) unbindUp(up *eventloop.Conn) { delete(t.byUp, up) }

// upstreamOf returns the stream an upstream connection serves, or nil.
func (t *streamTable) upstreamOf(up *eventloop.Conn) *Stream { return t.byUp[up] }

package h2

// stream is the state of one active stream (RFC 9113 section 5.1). An active
// stream is open or half-closed: idle streams have no stream (their id is
// above the highest opened), closed ones have none either (their id is
// below it and not in the table). The two end flags give the states:
//
//	neither             open
//	localEnd            half-closed (local)
//	remoteEnd           half-closed (remote)
//	both                closed: the stream leaves the table
//
// A client stream is in the table from OpenStream on, idle until
// WriteHeaders sends its HEADERS (headSent).
type stream struct {
	id        uint32
	localEnd  bool // we sent END_STREAM
	remoteEnd bool // the peer sent END_STREAM
	headSent  bool // we sent a head (client: the request; server: any)
	finalSent bool // server: we sent a final (non-1xx) response head
	headRecv  bool // the peer's final head arrived (request, or response >= 200)
	noBody    bool // client: a HEAD request, so content-length says nothing

	wantLen int64 // content-length of the peer's head, -1 if none
	gotLen  int64 // DATA payload received

	send sendWindow
	recv recvWindow
}

// reset readies a recycled stream for id.
func (s *stream) reset(id uint32, send int64, recv uint32) {
	*s = stream{id: id, wantLen: -1, send: sendWindow(send), recv: recvWindow{left: int64(recv)}}
}

// canSend reports whether we may still send on s (open or half-closed
// remote).
func (s *stream) canSend() bool { return !s.localEnd }

// lengthOK checks the received DATA against content-length (RFC 9113 section
// 8.1.1): never more, and exactly that much at END_STREAM.
func (s *stream) lengthOK(end bool) bool {
	if s.wantLen < 0 || s.noBody {
		return true
	}
	return s.gotLen <= s.wantLen && (!end || s.gotLen == s.wantLen)
}

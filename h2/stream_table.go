package h2

// streamTable holds the active streams in a StreamMap that is reused across
// streams and connections, and recycles stream structs through a free list,
// so that a stream costs no allocation once the table has grown to the
// connection's concurrency.
//
// Closed streams cost nothing: a stream id at or below the highest one
// opened that is not in the map is closed (RFC 9113 section 5.1.1). A small
// ring remembers the last few closed ids and whether we reset them, to tell a
// late frame of a stream we reset (ignored, section 5.4.2) from a frame on a
// stream that ended normally or was never opened.
type streamTable struct {
	active StreamMap[*stream]
	free   []*stream
	ring   [closedRingLen]uint32 // id<<1 | 1 if we reset it
	next   int
}

const closedRingLen = 32

func (t *streamTable) init() {
	for _, s := range t.active.All() {
		t.free = append(t.free, s)
	}
	t.active.Clear()
	t.ring, t.next = [closedRingLen]uint32{}, 0
}

func (t *streamTable) get(id uint32) *stream { return t.active.Get(id) }

func (t *streamTable) len() int { return t.active.Len() }

// add makes a stream for id, from the free list when it can.
func (t *streamTable) add(id uint32, send int64, recv uint32) *stream {
	var s *stream
	if n := len(t.free); n > 0 {
		s, t.free = t.free[n-1], t.free[:n-1]
	} else {
		s = new(stream)
	}
	s.reset(id, send, recv)
	t.active.Add(id, s)
	return s
}

// remove forgets the stream id, remembering whether we reset it.
func (t *streamTable) remove(id uint32, resetByUs bool) {
	s := t.active.Get(id)
	if s == nil {
		return
	}
	t.active.Delete(id)
	t.free = append(t.free, s)
	t.remember(id, resetByUs)
}

// remember records a closed id in the ring.
func (t *streamTable) remember(id uint32, resetByUs bool) {
	v := id << 1
	if resetByUs {
		v |= 1
	}
	t.ring[t.next] = v
	t.next = (t.next + 1) % closedRingLen
}

// recentlyClosed reports whether id is in the ring, and whether we reset it
// (its newest entry says).
func (t *streamTable) recentlyClosed(id uint32) (found, resetByUs bool) {
	for i := range closedRingLen {
		v := t.ring[(t.next-1-i+closedRingLen)%closedRingLen]
		if v>>1 == id && id != 0 {
			return true, v&1 == 1
		}
	}
	return false, false
}

package eventloop

import (
	"unsafe"

	"github.com/bytedance/gopkg/lang/mcache"
	"golang.org/x/sys/unix"
)

// Buffers that outlive a callback (kept input, queued output) come from
// mcache's power-of-two pools and go back as soon as they empty, so an idle
// Conn holds none.
//
// push copies into the free room of the last chunk before it takes a new
// one, so small writes queued one after another (Gather's frames) share a
// chunk: 32 frames of 9–100 bytes are one 4 KiB chunk, one iovec.

const (
	minChunk = 4 << 10  // smallest output chunk
	maxChunk = 64 << 10 // largest output chunk
)

// getBuf returns an empty pooled buffer with room for at least n bytes.
func getBuf(n int) []byte { return mcache.Malloc(0, n) }

// putBuf returns b to its pool.
func putBuf(b []byte) {
	if cap(b) > 0 {
		mcache.Free(b)
	}
}

// outQueue is a Conn's unsent output: pooled chunks, written in order.
// chunks[first:] are live; head is how much of chunks[first] is sent. The
// small slice of chunk headers is kept across drains so that a Conn that
// queues now and then does not allocate for it.
type outQueue struct {
	chunks [][]byte
	first  int
	head   int
	n      int // bytes queued, not yet sent
}

const keepChunkSlots = 8

// live returns the chunks not fully sent; the first one from head.
func (q *outQueue) live() [][]byte { return q.chunks[q.first:] }

// iovecs appends to iov up to maxIovecs live chunks, the first from head,
// and returns it with the number of bytes it covers.
func (q *outQueue) iovecs(iov []unix.Iovec) ([]unix.Iovec, int) {
	n := 0
	for i, b := range q.live() {
		if len(iov) == maxIovecs {
			break
		}
		if i == 0 {
			b = b[q.head:]
		}
		v := unix.Iovec{Base: unsafe.SliceData(b)}
		v.SetLen(len(b))
		iov = append(iov, v)
		n += len(b)
	}
	return iov, n
}

// push copies b to the end of the queue.
func (q *outQueue) push(b []byte) {
	q.n += len(b)
	for len(b) > 0 {
		if k := len(q.chunks); k > q.first {
			last := q.chunks[k-1]
			if free := cap(last) - len(last); free > 0 {
				m := copy(last[len(last):cap(last)], b)
				q.chunks[k-1] = last[:len(last)+m]
				b = b[m:]
				continue
			}
		}
		q.addChunk(getBuf(min(max(len(b), minChunk), maxChunk)))
	}
}

// addChunk appends an empty chunk, reusing the dead front slots first.
func (q *outQueue) addChunk(b []byte) {
	if len(q.chunks) == cap(q.chunks) && q.first > 0 {
		n := copy(q.chunks, q.chunks[q.first:])
		clear(q.chunks[n:])
		q.chunks = q.chunks[:n]
		q.first = 0
	}
	q.chunks = append(q.chunks, b)
}

// advance drops n sent bytes from the front, freeing emptied chunks.
func (q *outQueue) advance(n int) {
	q.n -= n
	for n > 0 {
		rest := len(q.chunks[q.first]) - q.head
		if n < rest {
			q.head += n
			return
		}
		n -= rest
		q.popFront()
	}
	if q.n == 0 {
		q.reset()
	}
}

// popFront frees the first live chunk.
func (q *outQueue) popFront() {
	putBuf(q.chunks[q.first])
	q.chunks[q.first] = nil
	q.first++
	q.head = 0
}

// reset frees every chunk (drained, or Close dropping queued output).
func (q *outQueue) reset() {
	for i := q.first; i < len(q.chunks); i++ {
		putBuf(q.chunks[i])
		q.chunks[i] = nil
	}
	if cap(q.chunks) > keepChunkSlots {
		q.chunks = nil
	}
	q.chunks, q.first, q.head, q.n = q.chunks[:0], 0, 0, 0
}

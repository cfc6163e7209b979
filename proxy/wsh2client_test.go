package proxy

// A client of WebSocket over HTTP/2 (RFC 8441) for the tests: no Go library
// here sends an extended CONNECT, so the HTTP/2 side is x/net/http2's Framer
// and hpack, and the WebSocket framing (RFC 6455 section 5) is written out
// by hand. Each stream is an io.Reader of its DATA; the connection's frames
// are read on one goroutine and demultiplexed.

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// wsh2Conn is one HTTP/2 client connection.
type wsh2Conn struct {
	t  testing.TB
	c  net.Conn
	mu sync.Mutex // guards everything below, and writes
	cv *sync.Cond
	fr *http2.Framer
	// write side
	enc  *hpack.Encoder
	hbuf bytes.Buffer
	next uint32
	// peer state
	settings  map[http2.SettingID]uint32
	gotSet    bool
	connWin   int64 // what the server's connection window lets us send
	streamWin int64 // its initial stream window
	streams   map[uint32]*wsh2Stream
	readErr   error
	hold      bool // DATA received is not credited back (a client that does not read)
	owedConn  uint32
}

// wsh2Stream is one stream: its response head, its DATA, its end.
type wsh2Stream struct {
	c      *wsh2Conn
	id     uint32
	win    int64 // send window
	status int
	fields map[string]string
	head   bool
	data   bytes.Buffer
	owed   uint32        // credit withheld while hold
	ended  bool          // END_STREAM received
	reset  http2.ErrCode // RST_STREAM received
	rst    bool
	rdline time.Time
}

func dialWSH2(t testing.TB, addr string) *wsh2Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return newWSH2(t, c)
}

// newWSH2 speaks HTTP/2 on c (h2c, or TLS that negotiated h2).
func newWSH2(t testing.TB, c net.Conn) *wsh2Conn {
	h := &wsh2Conn{t: t, c: c, next: 1, settings: map[http2.SettingID]uint32{}, connWin: 65535, streamWin: 65535, streams: map[uint32]*wsh2Stream{}}
	h.cv = sync.NewCond(&h.mu)
	h.fr = http2.NewFramer(c, c)
	h.enc = hpack.NewEncoder(&h.hbuf)
	c.Write([]byte(http2.ClientPreface))
	h.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 20})
	h.fr.WriteWindowUpdate(0, 16<<20)
	go h.readLoop()
	t.Cleanup(func() { c.Close() })
	return h
}

// readLoop reads every frame and files it; DATA is credited back at once.
func (h *wsh2Conn) readLoop() {
	rf := http2.NewFramer(nil, h.c)
	rf.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	rf.MaxHeaderListSize = 1 << 20
	for {
		f, err := rf.ReadFrame()
		h.mu.Lock()
		if err != nil {
			h.readErr = err
			h.cv.Broadcast()
			h.mu.Unlock()
			return
		}
		h.file(f)
		h.cv.Broadcast()
		h.mu.Unlock()
	}
}

// file applies one frame (h.mu held).
func (h *wsh2Conn) file(f http2.Frame) {
	switch f := f.(type) {
	case *http2.SettingsFrame:
		if f.IsAck() {
			return
		}
		f.ForeachSetting(func(s http2.Setting) error {
			if s.ID == http2.SettingInitialWindowSize {
				d := int64(s.Val) - h.streamWin
				h.streamWin = int64(s.Val)
				for _, st := range h.streams {
					st.win += d
				}
			}
			h.settings[s.ID] = s.Val
			return nil
		})
		h.gotSet = true
		h.fr.WriteSettingsAck()
	case *http2.PingFrame:
		if !f.IsAck() {
			h.fr.WritePing(true, f.Data)
		}
	case *http2.WindowUpdateFrame:
		if f.StreamID == 0 {
			h.connWin += int64(f.Increment)
		} else if st := h.streams[f.StreamID]; st != nil {
			st.win += int64(f.Increment)
		}
	case *http2.MetaHeadersFrame:
		st := h.streams[f.StreamID]
		if st == nil {
			return
		}
		if !st.head {
			st.head = true
			st.fields = map[string]string{}
			for _, hf := range f.Fields {
				if hf.Name == ":status" {
					fmt.Sscan(hf.Value, &st.status)
				} else {
					st.fields[hf.Name] = hf.Value
				}
			}
		}
		if f.StreamEnded() {
			st.ended = true
		}
	case *http2.DataFrame:
		st := h.streams[f.StreamID]
		if n := uint32(len(f.Data())); n > 0 && h.hold {
			h.owedConn += n
			if st != nil {
				st.owed += n
			}
		} else if n > 0 {
			h.fr.WriteWindowUpdate(0, n)
			if !f.StreamEnded() {
				h.fr.WriteWindowUpdate(f.StreamID, n)
			}
		}
		if st != nil {
			st.data.Write(f.Data())
			if f.StreamEnded() {
				st.ended = true
			}
		}
	case *http2.RSTStreamFrame:
		if st := h.streams[f.StreamID]; st != nil {
			st.rst, st.reset = true, f.ErrCode
		}
	}
}

// setHold stops crediting DATA back, or (false) gives back what was withheld.
func (h *wsh2Conn) setHold(hold bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hold = hold
	if hold {
		return
	}
	if h.owedConn > 0 {
		h.fr.WriteWindowUpdate(0, h.owedConn)
		h.owedConn = 0
	}
	for id, st := range h.streams {
		if st.owed > 0 && !st.ended {
			h.fr.WriteWindowUpdate(id, st.owed)
		}
		st.owed = 0
	}
}

// buffered is how many DATA bytes st holds unread.
func (st *wsh2Stream) buffered() int {
	st.c.mu.Lock()
	defer st.c.mu.Unlock()
	return st.data.Len()
}

// wait blocks until cond holds (h.mu held) or testWait passes.
func (h *wsh2Conn) wait(what string, cond func() bool) error {
	deadline := time.Now().Add(3 * testWait)
	timer := time.AfterFunc(3*testWait, func() { h.mu.Lock(); h.cv.Broadcast(); h.mu.Unlock() })
	defer timer.Stop()
	for !cond() {
		if h.readErr != nil {
			return fmt.Errorf("%s: connection: %w", what, h.readErr)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: timed out", what)
		}
		h.cv.Wait()
	}
	return nil
}

// serverSettings waits for the server's SETTINGS.
func (h *wsh2Conn) serverSettings() map[http2.SettingID]uint32 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.wait("SETTINGS", func() bool { return h.gotSet }); err != nil {
		h.t.Fatal(err)
	}
	return h.settings
}

// open sends a HEADERS for a new stream; kv are name/value pairs.
func (h *wsh2Conn) open(end bool, kv ...string) *wsh2Stream {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hbuf.Reset()
	for i := 0; i+1 < len(kv); i += 2 {
		h.enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	st := &wsh2Stream{c: h, id: h.next, win: h.streamWin}
	h.next += 2
	h.streams[st.id] = st
	h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: st.id, BlockFragment: h.hbuf.Bytes(), EndHeaders: true, EndStream: end})
	return st
}

// connect opens an extended CONNECT for protocol to path; extra are more
// fields (sec-websocket-protocol, ...).
func (h *wsh2Conn) connect(protocol, path string, extra ...string) *wsh2Stream {
	kv := append([]string{":method", "CONNECT", ":protocol", protocol, ":scheme", "http", ":authority", "example.com", ":path", path,
		"sec-websocket-version", "13"}, extra...)
	return h.open(false, kv...)
}

// get opens a GET.
func (h *wsh2Conn) get(path string) *wsh2Stream {
	return h.open(true, ":method", "GET", ":scheme", "http", ":authority", "example.com", ":path", path)
}

// response waits for the response head (or a reset).
func (st *wsh2Stream) response() (int, map[string]string, error) {
	h := st.c
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.wait("response head", func() bool { return st.head || st.rst }); err != nil {
		return 0, nil, err
	}
	if !st.head {
		return 0, nil, fmt.Errorf("stream reset: %v", st.reset)
	}
	return st.status, st.fields, nil
}

// waitReset waits for RST_STREAM and returns its code.
func (st *wsh2Stream) waitReset() (http2.ErrCode, error) {
	h := st.c
	h.mu.Lock()
	defer h.mu.Unlock()
	err := h.wait("RST_STREAM", func() bool { return st.rst })
	return st.reset, err
}

// Read reads DATA; io.EOF after END_STREAM.
func (st *wsh2Stream) Read(p []byte) (int, error) {
	h := st.c
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.wait("DATA", func() bool { return st.data.Len() > 0 || st.ended || st.rst }); err != nil {
		return 0, err
	}
	if st.data.Len() > 0 {
		return st.data.Read(p)
	}
	if st.rst && !st.ended { // RST_STREAM(NO_ERROR) after END_STREAM is a complete response
		return 0, fmt.Errorf("stream reset: %v", st.reset)
	}
	return 0, io.EOF
}

// Write sends DATA within the server's windows.
func (st *wsh2Stream) Write(p []byte) (int, error) {
	return st.send(p, false)
}

// send writes p as DATA frames; end sets END_STREAM on the last.
func (st *wsh2Stream) send(p []byte, end bool) (int, error) {
	h := st.c
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for len(p) > 0 || end {
		if err := h.wait("send window", func() bool { return len(p) == 0 || (st.win > 0 && h.connWin > 0) || st.rst }); err != nil {
			return n, err
		}
		if st.rst {
			return n, errors.New("stream reset")
		}
		k := min(len(p), 16384, int(st.win), int(h.connWin))
		last := end && k == len(p)
		if err := h.fr.WriteData(st.id, last, p[:k]); err != nil {
			return n, err
		}
		st.win -= int64(k)
		h.connWin -= int64(k)
		n += k
		p = p[k:]
		if last {
			break
		}
	}
	return n, nil
}

// closeWrite sends an empty DATA with END_STREAM.
func (st *wsh2Stream) closeWrite() { st.send(nil, true) }

// resetStream sends RST_STREAM(CANCEL).
func (st *wsh2Stream) resetStream() {
	h := st.c
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fr.WriteRSTStream(st.id, http2.ErrCodeCancel)
}

// body reads the whole response body.
func (st *wsh2Stream) body() (string, error) {
	b, err := io.ReadAll(st)
	return string(b), err
}

// WebSocket opcodes (RFC 6455 section 5.2).
const (
	wsCont   = 0x0
	wsText   = 0x1
	wsBinary = 0x2
	wsClose  = 0x8
	wsPing   = 0x9
	wsPong   = 0xa
)

// wsWrite sends one masked frame (a client's frames are masked, RFC 6455
// section 5.3).
func wsWrite(w io.Writer, op byte, fin bool, payload []byte) error {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	hdr := []byte{b0, 0}
	switch n := len(payload); {
	case n < 126:
		hdr[1] = 0x80 | byte(n)
	case n < 1<<16:
		hdr[1] = 0x80 | 126
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(n))
	default:
		hdr[1] = 0x80 | 127
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	var key [4]byte
	rand.Read(key[:])
	hdr = append(hdr, key[:]...)
	masked := make([]byte, len(payload))
	for i, c := range payload {
		masked[i] = c ^ key[i%4]
	}
	_, err := w.Write(append(hdr, masked...))
	return err
}

// wsFrame is one frame read.
type wsFrame struct {
	fin     bool
	op      byte
	payload []byte
}

// wsReadFrame reads one server frame (unmasked, RFC 6455 section 5.1).
func wsReadFrame(r io.Reader) (wsFrame, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return wsFrame{}, err
	}
	if h[1]&0x80 != 0 {
		return wsFrame{}, errors.New("server frame masked")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return wsFrame{}, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return wsFrame{}, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > 64<<20 {
		return wsFrame{}, fmt.Errorf("frame of %d bytes", n)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return wsFrame{}, err
	}
	return wsFrame{fin: h[0]&0x80 != 0, op: h[0] & 0x0f, payload: p}, nil
}

// wsReadMessage reads one message, joining fragments; control frames in
// between are returned as they come (a pong, a close).
func wsReadMessage(r io.Reader) (byte, []byte, error) {
	var op byte
	var msg []byte
	for {
		f, err := wsReadFrame(r)
		if err != nil {
			return 0, nil, err
		}
		if f.op >= wsClose {
			return f.op, f.payload, nil
		}
		if f.op != wsCont {
			op = f.op
		}
		msg = append(msg, f.payload...)
		if f.fin {
			return op, msg, nil
		}
	}
}

// wsCloseCode parses a close frame's payload.
func wsCloseCode(p []byte) (int, string) {
	if len(p) < 2 {
		return 0, ""
	}
	return int(binary.BigEndian.Uint16(p)), string(p[2:])
}

// wsCloseFrame is a close payload with code and reason.
func wsCloseFrame(code int, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...)
}

// fieldsString lists a head's fields, for failures.
func fieldsString(fs map[string]string) string {
	var b strings.Builder
	for k, v := range fs {
		fmt.Fprintf(&b, "%s: %s; ", k, v)
	}
	return b.String()
}

package h2

import "errors"

// Role says which end of the connection a Conn is.
type Role uint8

// The two roles: a Server accepts streams, a Client opens them.
const (
	Server Role = iota
	Client
)

// Handler receives a Conn's stream events, during Feed (and, for OnReset,
// during GoAway's handling). Its methods may call the Conn back (write a
// response in OnHeaders, Consume in OnData, Reset anywhere).
type Handler interface {
	// OnHeaders delivers a stream's header block. For a server it is the
	// request head (the stream is new) or, with trailers=true, trailers
	// (h.Fields only; endStream is then true). For a client it is the
	// response head (1xx heads too: Status < 200, endStream false, and
	// another head follows), or trailers. endStream: no DATA follows. h is
	// valid only during the call.
	OnHeaders(id uint32, h *Head, trailers, endStream bool)
	// OnData delivers a DATA payload (padding stripped), valid during the
	// call. The receiver gives credit back with Conn.Consume(id, n) once it
	// has passed the bytes on; until then the stream's window and the
	// connection's stay closed by that much. Padding, and data of streams
	// already gone, are credited back by Conn itself. endStream may come
	// with empty data.
	OnData(id uint32, data []byte, endStream bool)
	// OnReset: stream id ended abnormally: by the peer's RST_STREAM
	// (remote=true), by Conn itself after a stream error it sent
	// (remote=false), or because a GOAWAY's last-stream-id excluded it
	// (client role; REFUSED_STREAM, remote=true: safe to retry). The stream
	// is forgotten after this call; never called after the owner's own
	// Reset of that stream. Bytes OnData delivered and the owner has not
	// consumed still hold the connection window: drop them with Consume.
	OnReset(id uint32, code ErrCode, remote bool)
	// OnSendWindow: the send window of stream id opened (id 0: the
	// connection window, or every stream's after SETTINGS raised
	// INITIAL_WINDOW_SIZE): a short WriteData may go on.
	OnSendWindow(id uint32)
	// OnGoAway: the peer sent GOAWAY. Streams above lastID are then
	// reported with OnReset(REFUSED_STREAM, remote=true) (client role); no
	// new stream may be opened. debug is valid during the call.
	OnGoAway(lastID uint32, code ErrCode, debug []byte)
	// OnCapacity (client role): more streams may be opened now: a stream
	// closed (not by the owner's own Reset), the peer raised
	// MAX_CONCURRENT_STREAMS, or its first SETTINGS arrived.
	OnCapacity()
}

// Errors returned by the Write methods.
var (
	// ErrStreamState: the stream is unknown, already ended on our side, or
	// the write does not fit its state (data before a head, a second
	// request head, END_STREAM on a 1xx head, trailers before the head).
	ErrStreamState = errors.New("h2: stream not open for sending")
	// ErrConnClosed: the connection failed or we sent a final GOAWAY with
	// an error code.
	ErrConnClosed = errors.New("h2: connection closed")
)

// Conn is the state machine of one HTTP/2 connection, sans I/O: see the
// package comment.
type Conn struct {
	// Immutable between Reinit calls:
	role Role
	cfg  Config
	h    Handler

	// Owned by the loop:
	out      []byte   // frames for the peer, in order
	ctrlOut  int      // bytes of answers to the peer in out (MaxControlQueue)
	hbuf     []byte   // header block scratch for writes
	block    []byte   // header block being assembled from CONTINUATIONs
	ids      []uint32 // scratch for refuseAbove
	blk      blockState
	fr       Decoder
	hdec     HeadDecoder
	henc     HeadEncoder
	streams  streamTable
	err      error // the connection error, once failed
	preface  bool  // server: the client preface was read
	settings bool  // the peer's first SETTINGS arrived

	peer           peerSettings
	ourAcked       bool  // the peer acknowledged our SETTINGS
	recvInit       int64 // per-stream receive window for new streams
	sendConn       sendWindow
	recvConn       recvWindow
	maxPeerID      uint32 // highest stream id the peer opened
	nextID         uint32 // client: next stream id to open
	lastHeadID     uint32 // client: highest id we sent HEADERS on
	goAway         goAwayState
	emptyFrames    int
	control, reset budget
	windows        budget // WINDOW_UPDATEs received: paid for by DATA sent (spendWindowUpdate)
	stats          ConnStats
}

// peerSettings are the peer's SETTINGS values in force.
type peerSettings struct {
	maxConcurrent, initialWindow, maxFrame, maxHeaderList uint32
}

// NewConn returns a Conn for role with cfg's limits (nil: all defaults)
// delivering events to h. Call Start before anything else.
func NewConn(role Role, cfg *Config, h Handler) *Conn {
	c := &Conn{}
	c.Reinit(role, cfg, h)
	return c
}

// Reinit readies c for a new connection, reusing its buffers, stream
// table and free list (velox keeps Conns on a free list). It is the
// API's "Reset(role, cfg, h)", renamed: Reset(id, code) resets a stream.
func (c *Conn) Reinit(role Role, cfg *Config, h Handler) {
	c.role, c.cfg, c.h = role, cfg.withDefaults(), h
	c.out, c.ctrlOut, c.hbuf, c.block = c.out[:0], 0, c.hbuf[:0], c.block[:0]
	c.blk, c.fr, c.err, c.preface, c.settings = blockState{}, Decoder{MaxFrameSize: c.cfg.MaxFrameSize}, nil, role == Client, false
	c.hdec.Init(c.cfg.MaxHeaderListSize, max(c.cfg.HeaderTableSize, DefaultHeaderTableSize))
	c.hdec.ExtendedConnect = c.extendedConnect()
	c.henc.Init(DefaultHeaderTableSize)
	c.streams.init()
	c.peer = peerSettings{DefaultMaxConcurrentStreams, initialWindow, DefaultMaxFrameSize, 0}
	c.ourAcked = false
	c.recvInit = max(int64(c.cfg.InitialWindowSize), initialWindow)
	c.sendConn, c.recvConn = initialWindow, recvWindow{left: int64(c.cfg.ConnWindowSize)}
	c.maxPeerID, c.nextID, c.lastHeadID = 0, 1, 0
	c.goAway, c.emptyFrames = goAwayState{}, 0
	c.control, c.reset = newBudget(c.cfg.MaxControlFrames), newBudget(c.cfg.MaxRapidResets)
	c.windows = newBudget(c.cfg.MaxControlFrames)
	c.stats = ConnStats{}
}

// Start queues what opens the connection: the client preface (client
// role), our SETTINGS and the connection WINDOW_UPDATE.
func (c *Conn) Start() {
	if c.role == Client {
		c.out = append(c.out, ClientPreface...)
	}
	c.out = c.appendOurSettings(c.out)
	if inc := c.cfg.ConnWindowSize - initialWindow; inc > 0 {
		c.out = AppendWindowUpdate(c.out, 0, inc)
	}
}

// Output returns the frames queued for the peer, in order. The slice is
// valid until the next call of any other method.
func (c *Conn) Output() []byte { return c.out }

// ClearOutput tells c that the owner took all of Output.
func (c *Conn) ClearOutput() { c.out, c.ctrlOut = c.out[:0], 0 }

// Done reports whether a GOAWAY was sent or received (or the connection
// failed) and no stream is left: the owner may close after flushing Output.
func (c *Conn) Done() bool {
	return c.err != nil || (c.goAway.final() && c.streams.len() == 0)
}

// ActiveStreams is the number of open and half-closed streams (client: and
// streams opened with OpenStream whose HEADERS are not sent yet).
func (c *Conn) ActiveStreams() int { return c.streams.len() }

// SettingsAcked reports whether the peer acknowledged our SETTINGS: an
// owner that wants SETTINGS_TIMEOUT (RFC 9113 section 6.5.3) checks it
// from its timer and calls GoAway(ErrCodeSettingsTimeout).
func (c *Conn) SettingsAcked() bool { return c.ourAcked }

// PeerSettings returns the peer's settings in force (its defaults until its
// SETTINGS arrive; maxHeaderList 0 means unlimited).
func (c *Conn) PeerSettings() (maxConcurrent, initialWindow, maxFrame, maxHeaderList uint32) {
	p := c.peer
	return p.maxConcurrent, p.initialWindow, p.maxFrame, p.maxHeaderList
}

// fail ends the connection with GOAWAY(code) and returns the error Feed
// returns from then on.
func (c *Conn) fail(code ErrCode) error {
	if c.err == nil {
		c.out = AppendGoAway(c.out, c.maxPeerID, code, nil)
		c.stats.GoAwaysSent++
		c.goAway.sent, c.goAway.lastID = goAwayFinal, c.maxPeerID
		c.err = ConnectionError(code)
	}
	return c.err
}

// queueControl accounts for n bytes of answers just appended to out, and
// fails the connection if the owner is not taking them.
func (c *Conn) queueControl(n int) error {
	c.ctrlOut += n
	if c.ctrlOut > c.cfg.MaxControlQueue {
		return c.fail(ErrCodeEnhanceYourCalm)
	}
	return nil
}

// spendWindowUpdate charges a WINDOW_UPDATE that opens a window by less
// than windowBytesPerUpdate to a budget of its own. A client reading a
// large response sends a stream and a connection update every few KiB (Go:
// every 4 KiB, and after a pause one per read of what it buffered), which
// a flat charge per frame would count as a flood; an update that gives
// credit for real data costs nothing (how far it can open a window is
// bounded by the 2^31-1 limit, section 6.9.1). Updates of a few bytes are
// the flood: each DATA frame sent gives one unit back per
// windowBytesPerUpdate bytes it carries, plus one, and a peer that spends
// the budget (MaxControlFrames) gets GOAWAY(ENHANCE_YOUR_CALM).
func (c *Conn) spendWindowUpdate(increment uint32) error {
	if increment >= windowBytesPerUpdate {
		return nil
	}
	if !c.windows.spend() {
		return c.fail(ErrCodeEnhanceYourCalm)
	}
	return nil
}

// windowBytesPerUpdate is how many bytes of DATA sent pay for one
// WINDOW_UPDATE received.
const windowBytesPerUpdate = 512

// spendControl charges one control frame to the budget.
func (c *Conn) spendControl() error {
	if !c.control.spend() {
		return c.fail(ErrCodeEnhanceYourCalm)
	}
	return nil
}

// localStream reports whether id is of a stream we initiate.
func (c *Conn) localStream(id uint32) bool { return (id%2 == 1) == (c.role == Client) }

// closedID reports whether id names a stream that is closed, as opposed
// to idle: at or below the highest one opened by its initiator.
func (c *Conn) closedID(id uint32) bool {
	if c.localStream(id) {
		return id < c.nextID
	}
	return id <= c.maxPeerID
}

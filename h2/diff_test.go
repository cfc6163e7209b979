package h2

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"golang.org/x/net/http2"
)

// The differential tests hold velox's frame layer against x/net/http2's
// Framer: frames the Framer writes read the same with ReadFrame, frames the
// Append* functions write read the same with the Framer, and random frames
// get the same fields or the same error from both.
//
// Where x/net's frame layer departs from RFC 9113, or leaves a check to its
// connection code, theirs adjusts its answer to the RFC's before comparing:
//   - SETTINGS values are range-checked by x/net's server (Setting.Valid);
//     here they are checked at once.
//   - HEADERS padding longer than the payload is a stream error in x/net, a
//     connection error in RFC 9113 section 6.2 and here.
//   - A PRIORITY frame whose length is not 5 is a connection error in x/net,
//     a stream error in RFC 9113 section 6.3 and here.
//   - A stream depending on itself is caught by x/net's server, here by the
//     parser (RFC 9113 section 5.3.1).
//   - Fields cut short are io.ErrUnexpectedEOF in x/net and FRAME_SIZE_ERROR
//     here (RFC 9113 section 4.2).
//   - PRIORITY_UPDATE (0x10, RFC 9218) is parsed by x/net; velox ignores it
//     as an unknown type, so it is not handed to the Framer.
//   - PUSH_PROMISE does not open a header block for x/net's frame-order
//     check; the order tests use HEADERS only.

// framePriorityUpdate is RFC 9218's PRIORITY_UPDATE, which x/net parses.
const framePriorityUpdate FrameType = 0x10

// summary is what a frame means, comparable between the two decoders.
type summary struct {
	FrameHeader
	Data, Settings                     string
	Priority                           PriorityParam
	Code                               ErrCode
	LastStreamID, PromiseID, Increment uint32
}

func ours(f *Frame) summary {
	s := summary{FrameHeader: f.FrameHeader, Data: string(f.Data), Priority: f.Priority, Code: f.Code,
		LastStreamID: f.LastStreamID, PromiseID: f.PromiseID, Increment: f.Increment}
	if f.Type == FrameSettings {
		s.Data = ""
		for i := range f.NumSettings() {
			s.Settings += fmt.Sprint(f.Setting(i))
		}
	}
	return s
}

func theirs(fr http2.Frame) summary {
	h := fr.Header()
	s := summary{FrameHeader: FrameHeader{h.Length, FrameType(h.Type), Flags(h.Flags), h.StreamID}}
	switch f := fr.(type) {
	case *http2.DataFrame:
		s.Data = string(f.Data())
	case *http2.HeadersFrame:
		s.Data = string(f.HeaderBlockFragment())
		s.Priority = PriorityParam{f.Priority.StreamDep, f.Priority.Exclusive, f.Priority.Weight}
	case *http2.PriorityFrame:
		s.Priority = PriorityParam{f.StreamDep, f.Exclusive, f.Weight}
	case *http2.RSTStreamFrame:
		s.Code = ErrCode(f.ErrCode)
	case *http2.SettingsFrame:
		_ = f.ForeachSetting(func(st http2.Setting) error {
			s.Settings += fmt.Sprint(Setting{SettingID(st.ID), st.Val})
			return nil
		})
	case *http2.PushPromiseFrame:
		s.PromiseID = f.PromiseID
		s.Data = string(f.HeaderBlockFragment())
	case *http2.PingFrame:
		s.Data = string(f.Data[:])
	case *http2.GoAwayFrame:
		s.LastStreamID, s.Code, s.Data = f.LastStreamID, ErrCode(f.ErrCode), string(f.DebugData())
	case *http2.WindowUpdateFrame:
		s.Increment = f.Increment
	case *http2.ContinuationFrame:
		s.Data = string(f.HeaderBlockFragment())
	case *http2.UnknownFrame:
		s.Data = string(f.Payload())
	default:
		panic(fmt.Sprintf("unexpected %T", fr))
	}
	return s
}

// theirError maps an error of the Framer to velox's kind.
func theirError(err error) error {
	var ce http2.ConnectionError
	var se http2.StreamError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce):
		return ConnectionError(ce)
	case errors.As(err, &se):
		return StreamError{se.StreamID, ErrCode(se.Code)}
	case errors.Is(err, http2.ErrFrameTooLarge), errors.Is(err, io.ErrUnexpectedEOF):
		return ConnectionError(ErrCodeFrameSize)
	}
	return err
}

// framerRead reads one frame of a complete b with a Framer and returns what
// it means and its error, adjusted to RFC 9113 (see the top of this file).
func framerRead(b []byte, maxFrameSize uint32) (summary, error) {
	h := ParseFrameHeader(b)
	if h.Type == framePriorityUpdate && h.Length <= maxFrameSize {
		return summary{FrameHeader: h, Data: string(b[FrameHeaderLen:])}, nil // unknown to velox
	}
	fr := http2.NewFramer(nil, bytes.NewReader(b))
	fr.SetMaxReadFrameSize(maxFrameSize)
	fr.AllowIllegalReads = true // frame order is Decoder's, compared apart
	f, err := fr.ReadFrame()
	err = theirError(err)
	switch {
	case h.Type == FrameHeaders && err == StreamError{h.StreamID, ErrCodeProtocol}:
		err = errProtocol
	case h.Type == FramePriority && err == errFrameSize && h.StreamID != 0 && h.Length <= maxFrameSize:
		err = StreamError{h.StreamID, ErrCodeFrameSize}
	case h.Type == FrameSettings && err == ConnectionError(ErrCodeFlowControl):
		// x/net checks INITIAL_WINDOW_SIZE while parsing, before the other
		// settings; RFC 9113 section 6.5.3 processes them in order, and so
		// does velox: the first invalid one names the error.
		err = firstInvalidSetting(b[FrameHeaderLen:])
	}
	if err != nil {
		return summary{}, err
	}
	s := theirs(f)
	if (h.Type == FramePriority || h.Type == FrameHeaders && h.Flags.Has(FlagHeadersPriority)) && s.Priority.StreamDep == h.StreamID {
		return summary{}, StreamError{h.StreamID, ErrCodeProtocol}
	}
	if sf, ok := f.(*http2.SettingsFrame); ok {
		if err := sf.ForeachSetting(func(st http2.Setting) error { return st.Valid() }); err != nil {
			return summary{}, theirError(err)
		}
	}
	return s, nil
}

// diffRead reads the one complete frame b with both decoders and fails t if
// they disagree. It returns velox's reading.
func diffRead(t *testing.T, b []byte, maxFrameSize uint32) (summary, error) {
	t.Helper()
	f, n, err := ReadFrame(b, maxFrameSize)
	want, wantErr := framerRead(b, maxFrameSize)
	if err != wantErr {
		t.Fatalf("% x: velox %v, x/net %v", b, err, wantErr)
	}
	if err == nil && ours(&f) != want {
		t.Fatalf("% x:\nvelox %+v\nx/net %+v", b, ours(&f), want)
	}
	wantN := len(b)
	if ParseFrameHeader(b).Length > maxFrameSize {
		wantN = 0
	}
	if n != wantN {
		t.Fatalf("% x: n = %d, want %d", b, n, wantN)
	}
	if err != nil {
		return summary{}, err
	}
	return ours(&f), nil
}

// TestDiffFramerWrites: every frame the Framer writes reads the same here.
func TestDiffFramerWrites(t *testing.T) {
	block := []byte{0x82, 0x86, 0x84, 0x41, 0x8a}
	prio := http2.PriorityParam{StreamDep: 3, Exclusive: true, Weight: 200}
	writes := map[string]func(fr *http2.Framer) error{
		"DATA":        func(fr *http2.Framer) error { return fr.WriteData(1, false, []byte("hello")) },
		"DATA end":    func(fr *http2.Framer) error { return fr.WriteData(1, true, nil) },
		"DATA padded": func(fr *http2.Framer) error { return fr.WriteDataPadded(3, true, []byte("x"), make([]byte, 200)) },
		"DATA padding only": func(fr *http2.Framer) error {
			return fr.WriteDataPadded(3, false, nil, make([]byte, 255))
		},
		"HEADERS": func(fr *http2.Framer) error {
			return fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block, EndHeaders: true, EndStream: true})
		},
		"HEADERS priority padded": func(fr *http2.Framer) error {
			return fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 5, BlockFragment: block, EndHeaders: true, PadLength: 7, Priority: prio})
		},
		"HEADERS open": func(fr *http2.Framer) error {
			return fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 7, BlockFragment: block})
		},
		"PRIORITY":     func(fr *http2.Framer) error { return fr.WritePriority(5, prio) },
		"RST_STREAM":   func(fr *http2.Framer) error { return fr.WriteRSTStream(5, http2.ErrCodeStreamClosed) },
		"SETTINGS":     func(fr *http2.Framer) error { return fr.WriteSettings(allSettings...) },
		"SETTINGS ACK": func(fr *http2.Framer) error { return fr.WriteSettingsAck() },
		"PUSH_PROMISE": func(fr *http2.Framer) error {
			return fr.WritePushPromise(http2.PushPromiseParam{StreamID: 1, PromiseID: 2, BlockFragment: block, EndHeaders: true, PadLength: 3})
		},
		"PING":          func(fr *http2.Framer) error { return fr.WritePing(true, [8]byte{8, 7, 6, 5, 4, 3, 2, 1}) },
		"GOAWAY":        func(fr *http2.Framer) error { return fr.WriteGoAway(9, http2.ErrCodeEnhanceYourCalm, []byte("bye")) },
		"WINDOW_UPDATE": func(fr *http2.Framer) error { return fr.WriteWindowUpdate(0, 1<<31-1) },
		"CONTINUATION":  func(fr *http2.Framer) error { return fr.WriteContinuation(7, true, block) },
		"unknown":       func(fr *http2.Framer) error { return fr.WriteRawFrame(0xbb, 0x5a, 1, []byte("ext")) },
		"DATA at max":   func(fr *http2.Framer) error { return fr.WriteData(1, false, make([]byte, DefaultMaxFrameSize)) },
	}
	for name, w := range writes {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := w(http2.NewFramer(&buf, nil)); err != nil {
				t.Fatal(err)
			}
			if _, err := diffRead(t, buf.Bytes(), DefaultMaxFrameSize); err != nil {
				t.Fatal(err)
			}
		})
	}
}

var allSettings = []http2.Setting{
	{ID: http2.SettingHeaderTableSize, Val: 4096}, {ID: http2.SettingEnablePush, Val: 0},
	{ID: http2.SettingMaxConcurrentStreams, Val: 250}, {ID: http2.SettingInitialWindowSize, Val: 1 << 20},
	{ID: http2.SettingMaxFrameSize, Val: 1 << 20}, {ID: http2.SettingMaxHeaderListSize, Val: 1 << 16},
	{ID: 0x4242, Val: 1},
}

// TestDiffOurWrites: every frame the Append* functions write is read by the
// Framer, with its frame-order check on, as what was meant.
func TestDiffOurWrites(t *testing.T) {
	var settings []Setting
	for _, s := range allSettings {
		settings = append(settings, Setting{SettingID(s.ID), s.Val})
	}
	big := bytes.Repeat([]byte{0x82}, 3*DefaultMaxFrameSize+5)
	cases := []struct {
		name string
		wire []byte
		want []summary // x/net's reading of each frame
	}{
		{"DATA", AppendData(nil, 1, true, []byte("hi")), []summary{{FrameHeader: FrameHeader{2, FrameData, FlagDataEndStream, 1}, Data: "hi"}}},
		{"HEADERS", AppendHeaders(nil, 3, false, []byte{0x82}, 0), []summary{{FrameHeader: FrameHeader{1, FrameHeaders, FlagHeadersEndHeaders, 3}, Data: "\x82"}}},
		{"SETTINGS", AppendSettings(nil, settings), []summary{{FrameHeader: FrameHeader{42, FrameSettings, 0, 0},
			Settings: func() (s string) {
				for _, st := range settings {
					s += fmt.Sprint(st)
				}
				return s
			}()}}},
		{"SETTINGS ACK", AppendSettingsAck(nil), []summary{{FrameHeader: FrameHeader{0, FrameSettings, FlagSettingsAck, 0}}}},
		{"PING", AppendPing(nil, false, [8]byte{'p', 'i', 'n', 'g', 0, 0, 0, 1}), []summary{{FrameHeader: FrameHeader{8, FramePing, 0, 0}, Data: "ping\x00\x00\x00\x01"}}},
		{"GOAWAY", AppendGoAway(nil, 1<<31|11, ErrCodeProtocol, []byte("dbg")), []summary{{FrameHeader: FrameHeader{11, FrameGoAway, 0, 0},
			LastStreamID: 11, Code: ErrCodeProtocol, Data: "dbg"}}},
		{"RST_STREAM", AppendRSTStream(nil, 3, ErrCodeCancel), []summary{{FrameHeader: FrameHeader{4, FrameRSTStream, 0, 3}, Code: ErrCodeCancel}}},
		{"WINDOW_UPDATE", AppendWindowUpdate(nil, 3, 99), []summary{{FrameHeader: FrameHeader{4, FrameWindowUpdate, 0, 3}, Increment: 99}}},
		{"HEADERS split", AppendHeaders(nil, 5, true, big, 0), []summary{
			{FrameHeader: FrameHeader{DefaultMaxFrameSize, FrameHeaders, FlagHeadersEndStream, 5}, Data: string(big[:DefaultMaxFrameSize])},
			{FrameHeader: FrameHeader{DefaultMaxFrameSize, FrameContinuation, 0, 5}, Data: string(big[:DefaultMaxFrameSize])},
			{FrameHeader: FrameHeader{DefaultMaxFrameSize, FrameContinuation, 0, 5}, Data: string(big[:DefaultMaxFrameSize])},
			{FrameHeader: FrameHeader{5, FrameContinuation, FlagContinuationEndHeaders, 5}, Data: string(big[:5])},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fr := http2.NewFramer(nil, bytes.NewReader(tc.wire))
			for i, want := range tc.want {
				f, err := fr.ReadFrame()
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if got := theirs(f); got != want {
					t.Fatalf("frame %d:\n got %+v\nwant %+v", i, got, want)
				}
			}
			if _, err := fr.ReadFrame(); err != io.EOF {
				t.Fatalf("after the frames: %v", err)
			}
			for wire := tc.wire; len(wire) > 0; {
				n := FrameHeaderLen + int(ParseFrameHeader(wire).Length)
				if _, err := diffRead(t, wire[:n], DefaultMaxFrameSize); err != nil {
					t.Fatal(err)
				}
				wire = wire[n:]
			}
		})
	}
}

// randomFrame builds a frame that is often well formed and often broken in
// one way: stream 0 or not, reserved bits, lengths around the fixed ones,
// padding around the payload, settings values around their limits.
func randomFrame(r *rand.Rand) []byte {
	types := []FrameType{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x0b, 0xfe}
	typ := types[r.IntN(len(types))]
	fl := Flags(r.IntN(256))
	if r.IntN(2) == 0 {
		fl &= 0x2d // only defined flags
	}
	stream := []uint32{0, 1, 3, 2, 1<<31 - 1, 1<<31 | 5}[r.IntN(6)]
	if (typ == FrameSettings || typ == FramePing || typ == FrameGoAway) && r.IntN(4) != 0 {
		stream = 0 // mostly where they belong, to reach their other checks
	}
	var p []byte
	u32 := func(v uint32) { p = append(p, byte(v>>24), byte(v>>16), byte(v>>8), byte(v)) }
	switch typ {
	case FrameSettings:
		ids := []SettingID{1, 2, 3, 4, 5, 6, 8, 9, 0x20, 0xffff}
		vals := []uint32{0, 1, 2, 16383, 16384, 1<<24 - 1, 1 << 24, 1<<31 - 1, 1 << 31, 0xffffffff}
		for range r.IntN(5) {
			id := ids[r.IntN(len(ids))]
			p = append(p, byte(id>>8), byte(id))
			u32(vals[r.IntN(len(vals))])
		}
	case FrameWindowUpdate, FrameRSTStream:
		u32([]uint32{0, 1, 1 << 31, 0xffffffff, 65535}[r.IntN(5)])
	case FramePriority, FrameHeaders, FramePushPromise, FrameGoAway:
		if r.IntN(2) == 0 { // a pad length, then a stream id that may be the frame's own
			p = append(p, byte(r.IntN(8)))
		}
		u32([]uint32{stream, stream | 1<<31, 1, 0}[r.IntN(4)])
		p = append(p, byte(r.IntN(256)))
	}
	for range r.IntN(12) {
		p = append(p, byte(r.IntN(4)))
	}
	if r.IntN(4) == 0 { // exactly the fixed length of some types
		p = p[:min(len(p), []int{0, 1, 4, 5, 8}[r.IntN(5)])]
	}
	return frm(typ, fl, stream, p...)
}

// TestDiffRandomFrames: random frames, well formed or broken, read the same
// (fields or error) with both decoders, under random maximum frame sizes;
// every proper prefix is ErrNeedMore here, unless the header says too large.
func TestDiffRandomFrames(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 9113))
	var accepted, refused int
	for range 50000 {
		b := randomFrame(r)
		limit := []uint32{DefaultMaxFrameSize, 5, 8}[r.IntN(3)]
		if _, err := diffRead(t, b, limit); err != nil {
			refused++
		} else {
			accepted++
		}
		k := r.IntN(len(b))
		want := ErrNeedMore
		if k >= FrameHeaderLen && ParseFrameHeader(b).Length > limit {
			want = errFrameSize
		}
		if _, n, err := ReadFrame(b[:k], limit); err != want || n != 0 {
			t.Fatalf("% x, prefix %d: %d, %v; want %v", b, k, n, err, want)
		}
	}
	t.Logf("%d accepted, %d refused", accepted, refused)
	if accepted < 10000 || refused < 10000 {
		t.Fatalf("poor mix: %d accepted, %d refused", accepted, refused)
	}
}

// TestDiffFrameOrder: random sequences of HEADERS, CONTINUATION and PING
// frames pass or fail the header-block order check at the same frame in
// Decoder and in the Framer (RFC 9113 sections 4.3, 6.10).
func TestDiffFrameOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 3))
	refused := 0
	for range 20000 {
		var wire [][]byte
		for range 1 + r.IntN(6) {
			stream := uint32(1 + 2*r.IntN(2))
			fl := Flags(r.IntN(2)) * FlagHeadersEndHeaders
			switch r.IntN(3) {
			case 0:
				wire = append(wire, frm(FrameHeaders, fl, stream, 0x82))
			case 1:
				wire = append(wire, frm(FrameContinuation, fl, stream, 0x84))
			default:
				wire = append(wire, frm(FramePing, 0, 0, make([]byte, 8)...))
			}
		}
		fr := http2.NewFramer(nil, bytes.NewReader(bytes.Join(wire, nil)))
		var d Decoder
		for i, b := range wire {
			_, _, err := d.ReadFrame(b)
			_, theirErr := fr.ReadFrame()
			if err != theirError(theirErr) {
				t.Fatalf("%x, frame %d: velox %v, x/net %v", wire, i, err, theirErr)
			}
			if err != nil {
				refused++
				break
			}
		}
	}
	if refused < 2000 || refused > 18000 {
		t.Fatalf("poor mix: %d of 20000 sequences refused", refused)
	}
}

// firstInvalidSetting validates a SETTINGS payload in order with x/net's
// rules and returns the first error.
func firstInvalidSetting(p []byte) error {
	for ; len(p) >= 6; p = p[6:] {
		st := http2.Setting{ID: http2.SettingID(uint16(p[0])<<8 | uint16(p[1])), Val: uint32(p[2])<<24 | uint32(p[3])<<16 | uint32(p[4])<<8 | uint32(p[5])}
		if err := st.Valid(); err != nil {
			return theirError(err)
		}
	}
	return nil
}

package h2

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// raw builds a frame by hand, byte by byte, so that the spec tests do not
// depend on the encoders they also check.
func raw(length int, t FrameType, fl Flags, stream uint32, payload ...byte) []byte {
	b := []byte{byte(length >> 16), byte(length >> 8), byte(length), byte(t), byte(fl),
		byte(stream >> 24), byte(stream >> 16), byte(stream >> 8), byte(stream)}
	return append(b, payload...)
}

// frm is raw with the length taken from the payload.
func frm(t FrameType, fl Flags, stream uint32, payload ...byte) []byte {
	return raw(len(payload), t, fl, stream, payload...)
}

func streamErr(id uint32, c ErrCode) error { return StreamError{id, c} }

var (
	connProtocol  = ConnectionError(ErrCodeProtocol)
	connFrameSize = ConnectionError(ErrCodeFrameSize)
	connFlow      = ConnectionError(ErrCodeFlowControl)
)

type readCase struct {
	name  string
	in    []byte
	err   error
	check func(t *testing.T, f *Frame) // on success, and on a StreamError
}

// runReadCases reads each complete frame with the default maximum frame
// size and checks the error, that n is the whole frame, and the fields.
func runReadCases(t *testing.T, cases []readCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := append(append([]byte{}, tc.in...), 0xee, 0xee) // bytes of the next frame
			f, n, err := ReadFrame(in, DefaultMaxFrameSize)
			if err != tc.err {
				t.Fatalf("ReadFrame(% x) err = %v, want %v", tc.in, err, tc.err)
			}
			if n != len(tc.in) {
				t.Fatalf("n = %d, want %d", n, len(tc.in))
			}
			if tc.check != nil {
				tc.check(t, &f)
			}
		})
	}
}

func wantData(t *testing.T, f *Frame, want string) {
	t.Helper()
	if string(f.Data) != want {
		t.Fatalf("Data = %q, want %q", f.Data, want)
	}
}

// TestRFC9113_3_4_ConnectionPreface: the client preface is read
// incrementally; any other first bytes are refused at the first difference.
func TestRFC9113_3_4_ConnectionPreface(t *testing.T) {
	p := []byte(ClientPreface + "\x00\x00\x00\x04")
	for k := 0; k < len(ClientPreface); k++ {
		if n, err := ReadPreface(p[:k]); n != 0 || err != ErrNeedMore {
			t.Fatalf("prefix %d: %d, %v", k, n, err)
		}
	}
	if n, err := ReadPreface(p); n != 24 || err != nil {
		t.Fatalf("ReadPreface = %d, %v; want 24", n, err)
	}
	for _, bad := range []string{"GET / HTTP/1.1\r\n", "PRI * HTTP/2.0\r\n\r\nSM\r\n\n", "P", "PRI * HTTP/1.1"} {
		if _, err := ReadPreface([]byte(bad)); err != ErrBadPreface && !(bad == "P") {
			t.Errorf("ReadPreface(%q) = %v, want ErrBadPreface", bad, err)
		}
	}
}

// TestRFC9113_4_1_FrameFormat: the header fields, the reserved bit ignored
// on receipt, undefined flags ignored, and the payload read in place.
func TestRFC9113_4_1_FrameFormat(t *testing.T) {
	in := []byte{0x00, 0x00, 0x03, 0x00, 0xf7, 0x80, 0x00, 0x01, 0x03, 'a', 'b', 'c', 0xff}
	h := ParseFrameHeader(in)
	if h != (FrameHeader{Length: 3, Type: FrameData, Flags: 0xf7, StreamID: 0x103}) {
		t.Fatalf("header = %+v", h)
	}
	f, n, err := ReadFrame(in, DefaultMaxFrameSize)
	if err != nil || n != 12 {
		t.Fatalf("ReadFrame = %d, %v", n, err)
	}
	wantData(t, &f, "abc")
	if &f.Data[0] != &in[9] || cap(f.Data) != 3 {
		t.Fatalf("Data is not the payload in place, capped: cap %d", cap(f.Data))
	}
	if !f.Flags.Has(FlagDataEndStream) {
		t.Fatal("END_STREAM not seen")
	}
	// 24-bit length.
	big := raw(0x012345, FrameType(0xfa), 0, 0)
	if h := ParseFrameHeader(big); h.Length != 0x012345 {
		t.Fatalf("Length = %#x", h.Length)
	}
}

// TestRFC9113_4_1_Incremental: every prefix of a frame is ErrNeedMore, with
// the header known once its 9 bytes are in; bytes after the frame are left.
func TestRFC9113_4_1_Incremental(t *testing.T) {
	in := frm(FrameHeaders, FlagHeadersEndHeaders, 1, 0x82, 0x86, 0x84)
	for k := range len(in) {
		f, n, err := ReadFrame(in[:k], DefaultMaxFrameSize)
		if err != ErrNeedMore || n != 0 {
			t.Fatalf("prefix %d: %d, %v", k, n, err)
		}
		if k >= FrameHeaderLen && f.Length != 3 {
			t.Fatalf("prefix %d: header not set: %+v", k, f.FrameHeader)
		}
	}
	two := append(append([]byte{}, in...), frm(FramePing, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8)...)
	_, n, err := ReadFrame(two, DefaultMaxFrameSize)
	if err != nil || n != len(in) {
		t.Fatalf("first of two: %d, %v", n, err)
	}
	f, m, err := ReadFrame(two[n:], DefaultMaxFrameSize)
	if err != nil || m != 17 || f.Type != FramePing {
		t.Fatalf("second of two: %v %d, %v", f.Type, m, err)
	}
}

// TestRFC9113_4_2_FrameSize: a frame over SETTINGS_MAX_FRAME_SIZE is a
// FRAME_SIZE_ERROR as soon as its header is in, whatever its type; a frame
// of exactly the limit is read.
func TestRFC9113_4_2_FrameSize(t *testing.T) {
	for _, typ := range []FrameType{FrameData, FrameHeaders, FrameSettings, 0x42} {
		hdr := raw(DefaultMaxFrameSize+1, typ, 0, 1)
		if _, n, err := ReadFrame(hdr, DefaultMaxFrameSize); err != connFrameSize || n != 0 {
			t.Errorf("%v over the limit: %d, %v", typ, n, err)
		}
	}
	in := raw(DefaultMaxFrameSize, FrameData, 0, 1, make([]byte, DefaultMaxFrameSize)...)
	if _, n, err := ReadFrame(in, DefaultMaxFrameSize); err != nil || n != len(in) {
		t.Fatalf("at the limit: %d, %v", n, err)
	}
	if _, _, err := ReadFrame(in, DefaultMaxFrameSize-1); err != connFrameSize {
		t.Fatalf("with a lower limit: %v", err)
	}
	hdr := raw(MaxFrameSizeLimit, FrameData, 0, 1)
	if _, _, err := ReadFrame(hdr, MaxFrameSizeLimit); err != ErrNeedMore {
		t.Fatalf("largest frame, header only: %v", err)
	}
}

// TestRFC9113_5_5_ExtendingHTTP2: frames of unknown types are returned,
// payload and all, for the caller to ignore, on any stream.
func TestRFC9113_5_5_ExtendingHTTP2(t *testing.T) {
	runReadCases(t, []readCase{
		{"type 0x0a", frm(0x0a, 0xff, 0, 'x'), nil, func(t *testing.T, f *Frame) {
			if f.Type.Known() || f.Type.String() != "UNKNOWN_FRAME_TYPE_0xa" {
				t.Fatalf("type %v", f.Type)
			}
			wantData(t, f, "x")
		}},
		{"PRIORITY_UPDATE 0x10 is unknown here", frm(0x10, 0, 0, 0, 0, 0, 1, 'u', '=', '1'), nil, nil},
		{"type 0xff on a stream, empty", frm(0xff, 0, 7), nil, nil},
	})
}

// TestRFC9113_6_1_DATA: padding taken off, END_STREAM, stream 0 and
// padding as long as the payload refused.
func TestRFC9113_6_1_DATA(t *testing.T) {
	runReadCases(t, []readCase{
		{"plain", frm(FrameData, 0, 1, 'h', 'i'), nil, func(t *testing.T, f *Frame) { wantData(t, f, "hi") }},
		{"empty with END_STREAM", frm(FrameData, FlagDataEndStream, 3), nil, func(t *testing.T, f *Frame) {
			wantData(t, f, "")
			if !f.Flags.Has(FlagDataEndStream) {
				t.Fatal("no END_STREAM")
			}
		}},
		{"padded", frm(FrameData, FlagDataPadded, 1, 2, 'h', 'i', 0, 0), nil, func(t *testing.T, f *Frame) {
			wantData(t, f, "hi")
			if f.Length != 5 {
				t.Fatalf("Length %d: flow control counts the padding", f.Length)
			}
		}},
		{"padded, zero padding", frm(FrameData, FlagDataPadded, 1, 0, 'h'), nil, func(t *testing.T, f *Frame) { wantData(t, f, "h") }},
		{"only padding", frm(FrameData, FlagDataPadded, 1, 3, 0, 0, 0), nil, func(t *testing.T, f *Frame) { wantData(t, f, "") }},
		{"padding longer than the payload", frm(FrameData, FlagDataPadded, 1, 4, 0, 0, 0), connProtocol, nil},
		{"padding without its length octet", frm(FrameData, FlagDataPadded, 1), connFrameSize, nil},
		{"stream 0", frm(FrameData, 0, 0, 'x'), connProtocol, nil},
	})
}

// TestRFC9113_6_2_HEADERS: the fragment without padding and priority
// fields; the priority fields parsed; stream 0 refused.
func TestRFC9113_6_2_HEADERS(t *testing.T) {
	runReadCases(t, []readCase{
		{"plain", frm(FrameHeaders, FlagHeadersEndHeaders|FlagHeadersEndStream, 1, 0x82, 0x87), nil, func(t *testing.T, f *Frame) {
			wantData(t, f, "\x82\x87")
		}},
		{"padded and priority", frm(FrameHeaders, FlagHeadersPadded|FlagHeadersPriority|FlagHeadersEndHeaders, 5,
			1, 0x80, 0, 0, 3, 15, 0x82, 0), nil, func(t *testing.T, f *Frame) {
			wantData(t, f, "\x82")
			if f.Priority != (PriorityParam{StreamDep: 3, Exclusive: true, Weight: 15}) {
				t.Fatalf("priority %+v", f.Priority)
			}
		}},
		{"priority, empty fragment", frm(FrameHeaders, FlagHeadersPriority, 5, 0, 0, 0, 0, 255), nil, func(t *testing.T, f *Frame) {
			wantData(t, f, "")
		}},
		{"priority fields short", frm(FrameHeaders, FlagHeadersPriority, 5, 0, 0, 0, 0), connFrameSize, nil},
		{"padding longer than the rest", frm(FrameHeaders, FlagHeadersPadded|FlagHeadersPriority, 5, 2, 0, 0, 0, 0, 0, 'x'), connProtocol, nil},
		{"padded, empty", frm(FrameHeaders, FlagHeadersPadded, 5), connFrameSize, nil},
		{"stream 0", frm(FrameHeaders, FlagHeadersEndHeaders, 0, 0x82), connProtocol, nil},
	})
}

// TestRFC9113_5_3_1_StreamDependencies: a stream that depends on itself is
// a stream error PROTOCOL_ERROR; a HEADERS frame keeps its fragment for HPACK.
func TestRFC9113_5_3_1_StreamDependencies(t *testing.T) {
	runReadCases(t, []readCase{
		{"HEADERS", frm(FrameHeaders, FlagHeadersPriority|FlagHeadersEndHeaders, 3, 0, 0, 0, 3, 0, 0x82),
			streamErr(3, ErrCodeProtocol), func(t *testing.T, f *Frame) { wantData(t, f, "\x82") }},
		{"PRIORITY", frm(FramePriority, 0, 3, 0x80, 0, 0, 3, 0), streamErr(3, ErrCodeProtocol), nil},
	})
}

// TestRFC9113_6_3_PRIORITY: parsed and ignored; a length other than 5 is a
// stream error FRAME_SIZE_ERROR.
func TestRFC9113_6_3_PRIORITY(t *testing.T) {
	runReadCases(t, []readCase{
		{"ok", frm(FramePriority, 0, 3, 0, 0, 0, 1, 200), nil, func(t *testing.T, f *Frame) {
			if f.Priority != (PriorityParam{StreamDep: 1, Weight: 200}) {
				t.Fatalf("priority %+v", f.Priority)
			}
		}},
		{"length 4", frm(FramePriority, 0, 3, 0, 0, 0, 1), streamErr(3, ErrCodeFrameSize), nil},
		{"length 6", frm(FramePriority, 0, 9, 0, 0, 0, 1, 1, 1), streamErr(9, ErrCodeFrameSize), nil},
		{"stream 0", frm(FramePriority, 0, 0, 0, 0, 0, 1, 1), connProtocol, nil},
	})
}

// TestRFC9113_6_4_RST_STREAM: a 4-byte code on a stream.
func TestRFC9113_6_4_RST_STREAM(t *testing.T) {
	runReadCases(t, []readCase{
		{"CANCEL", frm(FrameRSTStream, 0, 1, 0, 0, 0, 8), nil, func(t *testing.T, f *Frame) {
			if f.Code != ErrCodeCancel {
				t.Fatalf("code %v", f.Code)
			}
		}},
		{"unknown code kept", frm(FrameRSTStream, 0, 1, 0xde, 0xad, 0xbe, 0xef), nil, func(t *testing.T, f *Frame) {
			if f.Code != 0xdeadbeef {
				t.Fatalf("code %v", f.Code)
			}
		}},
		{"length 3", frm(FrameRSTStream, 0, 1, 0, 0, 8), connFrameSize, nil},
		{"length 5", frm(FrameRSTStream, 0, 1, 0, 0, 0, 8, 0), connFrameSize, nil},
		{"stream 0", frm(FrameRSTStream, 0, 0, 0, 0, 0, 8), connProtocol, nil},
	})
}

func setting(id SettingID, v uint32) []byte {
	return []byte{byte(id >> 8), byte(id), byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

func settingsFrame(fl Flags, stream uint32, s ...[]byte) []byte {
	return frm(FrameSettings, fl, stream, bytes.Join(s, nil)...)
}

// TestRFC9113_6_5_SETTINGS: the settings in order, unknown ids kept for the
// caller to skip, ACK empty, and the value ranges of section 6.5.2.
func TestRFC9113_6_5_SETTINGS(t *testing.T) {
	runReadCases(t, []readCase{
		{"settings in order", settingsFrame(0, 0, setting(SettingMaxConcurrentStreams, 100),
			setting(0x99, 7), setting(SettingInitialWindowSize, MaxWindowSize)), nil, func(t *testing.T, f *Frame) {
			want := []Setting{{SettingMaxConcurrentStreams, 100}, {0x99, 7}, {SettingInitialWindowSize, MaxWindowSize}}
			if f.NumSettings() != len(want) {
				t.Fatalf("NumSettings %d", f.NumSettings())
			}
			for i, w := range want {
				if f.Setting(i) != w {
					t.Fatalf("setting %d = %+v, want %+v", i, f.Setting(i), w)
				}
			}
		}},
		{"empty", settingsFrame(0, 0), nil, nil},
		{"ACK", settingsFrame(FlagSettingsAck, 0), nil, func(t *testing.T, f *Frame) {
			if !f.Flags.Has(FlagSettingsAck) || f.NumSettings() != 0 {
				t.Fatal("not an empty ACK")
			}
		}},
		{"ACK with a payload", settingsFrame(FlagSettingsAck, 0, setting(SettingEnablePush, 0)), connFrameSize, nil},
		{"length not a multiple of 6", frm(FrameSettings, 0, 0, 0, 2, 0, 0, 0), connFrameSize, nil},
		{"on a stream", settingsFrame(0, 1), connProtocol, nil},
		{"ENABLE_PUSH 1", settingsFrame(0, 0, setting(SettingEnablePush, 1)), nil, nil},
		{"ENABLE_PUSH 2", settingsFrame(0, 0, setting(SettingEnablePush, 2)), connProtocol, nil},
		{"INITIAL_WINDOW_SIZE 2^31", settingsFrame(0, 0, setting(SettingInitialWindowSize, 1<<31)), connFlow, nil},
		{"MAX_FRAME_SIZE 16384", settingsFrame(0, 0, setting(SettingMaxFrameSize, 16384)), nil, nil},
		{"MAX_FRAME_SIZE 2^24-1", settingsFrame(0, 0, setting(SettingMaxFrameSize, 1<<24-1)), nil, nil},
		{"MAX_FRAME_SIZE 16383", settingsFrame(0, 0, setting(SettingMaxFrameSize, 16383)), connProtocol, nil},
		{"MAX_FRAME_SIZE 2^24", settingsFrame(0, 0, setting(SettingMaxFrameSize, 1<<24)), connProtocol, nil},
		{"bad value after good ones", settingsFrame(0, 0, setting(SettingHeaderTableSize, 0),
			setting(SettingMaxHeaderListSize, 0xffffffff), setting(SettingEnablePush, 9)), connProtocol, nil},
		{"ENABLE_CONNECT_PROTOCOL 1 (RFC 8441)", settingsFrame(0, 0, setting(SettingEnableConnectProtocol, 1)), nil, nil},
		{"ENABLE_CONNECT_PROTOCOL 2 (RFC 8441)", settingsFrame(0, 0, setting(SettingEnableConnectProtocol, 2)), connProtocol, nil},
		{"unknown id, any value", settingsFrame(0, 0, setting(0xffff, 0xffffffff)), nil, nil},
		{"NO_RFC7540_PRIORITIES is unknown here", settingsFrame(0, 0, setting(0x9, 7)), nil, nil},
	})
}

// TestRFC9113_6_6_PUSH_PROMISE: the promised id without its reserved bit,
// padding taken off.
func TestRFC9113_6_6_PUSH_PROMISE(t *testing.T) {
	runReadCases(t, []readCase{
		{"padded", frm(FramePushPromise, FlagPushPromisePadded|FlagPushPromiseEndHeaders, 1, 1, 0x80, 0, 0, 2, 0x82, 0), nil,
			func(t *testing.T, f *Frame) {
				if f.PromiseID != 2 {
					t.Fatalf("PromiseID %d", f.PromiseID)
				}
				wantData(t, f, "\x82")
			}},
		{"promised id short", frm(FramePushPromise, 0, 1, 0, 0, 2), connFrameSize, nil},
		{"padding longer than the rest", frm(FramePushPromise, FlagPushPromisePadded, 1, 2, 0, 0, 0, 2, 0), connProtocol, nil},
		{"stream 0", frm(FramePushPromise, 0, 0, 0, 0, 0, 2), connProtocol, nil},
	})
}

// TestRFC9113_6_7_PING: 8 bytes on stream 0.
func TestRFC9113_6_7_PING(t *testing.T) {
	runReadCases(t, []readCase{
		{"ping", frm(FramePing, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8), nil, func(t *testing.T, f *Frame) {
			wantData(t, f, "\x01\x02\x03\x04\x05\x06\x07\x08")
		}},
		{"ack", frm(FramePing, FlagPingAck, 0, 0, 0, 0, 0, 0, 0, 0, 0), nil, func(t *testing.T, f *Frame) {
			if !f.Flags.Has(FlagPingAck) {
				t.Fatal("no ACK")
			}
		}},
		{"length 7", frm(FramePing, 0, 0, 1, 2, 3, 4, 5, 6, 7), connFrameSize, nil},
		{"length 9", frm(FramePing, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9), connFrameSize, nil},
		{"on a stream", frm(FramePing, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8), connProtocol, nil},
	})
}

// TestRFC9113_6_8_GOAWAY: last stream id, code and debug data on stream 0.
func TestRFC9113_6_8_GOAWAY(t *testing.T) {
	runReadCases(t, []readCase{
		{"with debug data", frm(FrameGoAway, 0, 0, 0x80, 0, 0, 5, 0, 0, 0, 0xb, 'c', 'a', 'l', 'm'), nil, func(t *testing.T, f *Frame) {
			if f.LastStreamID != 5 || f.Code != ErrCodeEnhanceYourCalm {
				t.Fatalf("last %d code %v", f.LastStreamID, f.Code)
			}
			wantData(t, f, "calm")
		}},
		{"graceful", frm(FrameGoAway, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0), nil, func(t *testing.T, f *Frame) {
			if f.LastStreamID != MaxWindowSize || f.Code != ErrCodeNo || len(f.Data) != 0 {
				t.Fatalf("%+v", f)
			}
		}},
		{"length 7", frm(FrameGoAway, 0, 0, 0, 0, 0, 5, 0, 0, 0), connFrameSize, nil},
		{"on a stream", frm(FrameGoAway, 0, 3, 0, 0, 0, 5, 0, 0, 0, 0), connProtocol, nil},
	})
}

// TestRFC9113_6_9_WINDOW_UPDATE: a 31-bit increment; 0 is a stream error on
// a stream and a connection error on stream 0.
func TestRFC9113_6_9_WINDOW_UPDATE(t *testing.T) {
	runReadCases(t, []readCase{
		{"connection", frm(FrameWindowUpdate, 0, 0, 0, 1, 0, 0), nil, func(t *testing.T, f *Frame) {
			if f.Increment != 65536 {
				t.Fatalf("increment %d", f.Increment)
			}
		}},
		{"reserved bit ignored", frm(FrameWindowUpdate, 0, 1, 0xff, 0xff, 0xff, 0xff), nil, func(t *testing.T, f *Frame) {
			if f.Increment != MaxWindowSize {
				t.Fatalf("increment %d", f.Increment)
			}
		}},
		{"0 on a stream", frm(FrameWindowUpdate, 0, 7, 0, 0, 0, 0), streamErr(7, ErrCodeProtocol), nil},
		{"0 on a stream, reserved bit set", frm(FrameWindowUpdate, 0, 7, 0x80, 0, 0, 0), streamErr(7, ErrCodeProtocol), nil},
		{"0 on the connection", frm(FrameWindowUpdate, 0, 0, 0, 0, 0, 0), connProtocol, nil},
		{"length 3", frm(FrameWindowUpdate, 0, 0, 0, 0, 1), connFrameSize, nil},
		{"length 5", frm(FrameWindowUpdate, 0, 1, 0, 0, 0, 1, 0), connFrameSize, nil},
	})
}

// TestRFC9113_6_10_CONTINUATION: the frame itself.
func TestRFC9113_6_10_CONTINUATION(t *testing.T) {
	runReadCases(t, []readCase{
		{"fragment", frm(FrameContinuation, FlagContinuationEndHeaders, 1, 0x84), nil, func(t *testing.T, f *Frame) {
			wantData(t, f, "\x84")
		}},
		{"stream 0", frm(FrameContinuation, 0, 0, 0x84), connProtocol, nil},
	})
}

// TestRFC9113_4_3_HeaderBlockContiguity: Decoder lets a header block go on
// only with CONTINUATION frames of its stream (sections 4.3 and 6.10).
func TestRFC9113_4_3_HeaderBlockContiguity(t *testing.T) {
	headers := frm(FrameHeaders, 0, 1, 0x82)
	push := frm(FramePushPromise, 0, 1, 0, 0, 0, 2, 0x82)
	cont := func(stream uint32, end bool) []byte {
		var fl Flags
		if end {
			fl = FlagContinuationEndHeaders
		}
		return frm(FrameContinuation, fl, stream, 0x84)
	}
	ping := frm(FramePing, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	for _, tc := range []struct {
		name   string
		frames [][]byte
		bad    int // index of the refused frame, -1 for none
	}{
		{"HEADERS CONTINUATION CONTINUATION", [][]byte{headers, cont(1, false), cont(1, true), ping}, -1},
		{"PUSH_PROMISE CONTINUATION", [][]byte{push, cont(1, true), ping}, -1},
		{"HEADERS with END_HEADERS then PING", [][]byte{frm(FrameHeaders, FlagHeadersEndHeaders, 1, 0x82), ping}, -1},
		{"CONTINUATION alone", [][]byte{cont(1, true)}, 0},
		{"CONTINUATION after a closed block", [][]byte{headers, cont(1, true), cont(1, true)}, 2},
		{"PING inside a block", [][]byte{headers, ping}, 1},
		{"HEADERS inside a block", [][]byte{headers, frm(FrameHeaders, 0, 3, 0x82)}, 1},
		{"unknown type inside a block", [][]byte{headers, frm(0x20, 0, 1)}, 1},
		{"CONTINUATION of another stream", [][]byte{headers, cont(3, true)}, 1},
		{"stream error keeps the block open", [][]byte{
			frm(FrameHeaders, FlagHeadersPriority, 3, 0, 0, 0, 3, 0), ping}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d Decoder
			for i, fr := range tc.frames {
				// The order is checked as soon as the header is in (a
				// frame with a payload is not complete yet, so this does
				// not move the Decoder on).
				if len(fr) > FrameHeaderLen {
					if _, _, err := d.ReadFrame(fr[:FrameHeaderLen]); (err == connProtocol) != (i == tc.bad) {
						t.Fatalf("frame %d, header only: %v", i, err)
					}
				}
				_, n, err := d.ReadFrame(fr)
				if i == tc.bad {
					if err != connProtocol {
						t.Fatalf("frame %d: %v, want PROTOCOL_ERROR", i, err)
					}
					return
				}
				if _, ok := err.(ConnectionError); ok || n != len(fr) {
					t.Fatalf("frame %d: %d, %v", i, n, err)
				}
			}
			if d.InHeaderBlock() {
				t.Fatal("block still open")
			}
		})
	}
	d := Decoder{MaxFrameSize: 1 << 20}
	if _, _, err := d.ReadFrame(raw(1<<20, FrameData, 0, 1)); err != ErrNeedMore {
		t.Fatalf("Decoder.MaxFrameSize not used: %v", err)
	}
	if _, _, err := (&Decoder{}).ReadFrame(raw(DefaultMaxFrameSize+1, FrameData, 0, 1)); err != connFrameSize {
		t.Fatalf("zero Decoder: %v", err)
	}
}

// TestRFC9113_7_ErrorCodes: names, unknown codes, and the two error kinds.
func TestRFC9113_7_ErrorCodes(t *testing.T) {
	for c, want := range map[ErrCode]string{
		ErrCodeNo: "NO_ERROR", ErrCodeProtocol: "PROTOCOL_ERROR", ErrCodeFlowControl: "FLOW_CONTROL_ERROR",
		ErrCodeFrameSize: "FRAME_SIZE_ERROR", ErrCodeEnhanceYourCalm: "ENHANCE_YOUR_CALM",
		ErrCodeHTTP11Required: "HTTP_1_1_REQUIRED", 0xe: "unknown error code 0xe",
	} {
		if c.String() != want {
			t.Errorf("%d: %q, want %q", uint32(c), c.String(), want)
		}
	}
	var se StreamError
	err := fmt.Errorf("wrapped: %w", StreamError{5, ErrCodeCancel})
	if !errors.As(err, &se) || se.StreamID != 5 || se.Code != ErrCodeCancel {
		t.Fatalf("errors.As: %+v", se)
	}
	if s := (StreamError{5, ErrCodeCancel}).Error(); s != "h2: stream error on stream 5: CANCEL" {
		t.Fatal(s)
	}
	if s := ConnectionError(ErrCodeProtocol).Error(); s != "h2: connection error: PROTOCOL_ERROR" {
		t.Fatal(s)
	}
	if ErrNeedMore == nil || !errors.Is(ErrNeedMore, errNeedMore) {
		t.Fatal("ErrNeedMore")
	}
}

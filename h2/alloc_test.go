package h2

import "testing"

// allocFrames is one valid frame of every type, and of an unknown one.
var allocFrames = map[string][]byte{
	"DATA padded":   frm(FrameData, FlagDataPadded|FlagDataEndStream, 1, 2, 'h', 'i', 0, 0),
	"HEADERS":       frm(FrameHeaders, FlagHeadersPadded|FlagHeadersPriority|FlagHeadersEndHeaders, 1, 1, 0, 0, 0, 0, 15, 0x82, 0),
	"PRIORITY":      frm(FramePriority, 0, 3, 0, 0, 0, 1, 200),
	"RST_STREAM":    frm(FrameRSTStream, 0, 1, 0, 0, 0, 8),
	"SETTINGS":      settingsFrame(0, 0, setting(SettingEnablePush, 0), setting(SettingMaxFrameSize, 1<<20), setting(0x99, 1)),
	"SETTINGS ACK":  settingsFrame(FlagSettingsAck, 0),
	"PUSH_PROMISE":  frm(FramePushPromise, FlagPushPromiseEndHeaders, 1, 0, 0, 0, 2, 0x82),
	"PING":          frm(FramePing, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8),
	"GOAWAY":        frm(FrameGoAway, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 'x'),
	"WINDOW_UPDATE": frm(FrameWindowUpdate, 0, 1, 0, 1, 0, 0),
	"CONTINUATION":  frm(FrameContinuation, FlagContinuationEndHeaders, 1, 0x84),
	"unknown":       frm(0x42, 0, 1, 'x'),
}

// TestZeroAllocDecode: reading a frame of any type allocates nothing, nor do
// an incomplete frame, a connection error, or the Decoder.
func TestZeroAllocDecode(t *testing.T) {
	for name, in := range allocFrames {
		if _, _, err := ReadFrame(in, DefaultMaxFrameSize); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		check(t, name, func() {
			f, _, _ := ReadFrame(in, DefaultMaxFrameSize)
			for i := range f.NumSettings() {
				_ = f.Setting(i)
			}
		})
		check(t, name+" incomplete", func() { _, _, _ = ReadFrame(in[:len(in)-1], DefaultMaxFrameSize) })
	}
	seq := [][]byte{frm(FrameHeaders, 0, 1, 0x82), frm(FrameContinuation, FlagContinuationEndHeaders, 1, 0x84), allocFrames["DATA padded"]}
	check(t, "Decoder", func() {
		var d Decoder
		for _, in := range seq {
			_, _, _ = d.ReadFrame(in)
		}
	})
	bad := frm(FramePing, 0, 0, 1, 2, 3)
	check(t, "connection error", func() { _, _, _ = ReadFrame(bad, DefaultMaxFrameSize) })
	large := raw(1<<20, FrameData, 0, 1)
	check(t, "too large", func() { _, _, _ = ReadFrame(large, DefaultMaxFrameSize) })
	preface := []byte(ClientPreface)
	check(t, "ReadPreface", func() { _, _ = ReadPreface(preface) })
}

// TestZeroAllocEncode: every encoder appends without allocating when dst
// has room.
func TestZeroAllocEncode(t *testing.T) {
	dst := make([]byte, 0, 4*DefaultMaxFrameSize)
	data := make([]byte, 1000)
	block := make([]byte, 2*DefaultMaxFrameSize+10) // HEADERS + 2 CONTINUATION
	settings := []Setting{{SettingEnablePush, 0}, {SettingInitialWindowSize, 1 << 20}}
	for name, f := range map[string]func(){
		"AppendData":         func() { dst = AppendData(dst[:0], 1, true, data) },
		"AppendHeaders":      func() { dst = AppendHeaders(dst[:0], 1, true, block, 0) },
		"AppendSettings":     func() { dst = AppendSettings(dst[:0], settings) },
		"AppendSettingsAck":  func() { dst = AppendSettingsAck(dst[:0]) },
		"AppendPing":         func() { dst = AppendPing(dst[:0], true, [8]byte{1}) },
		"AppendGoAway":       func() { dst = AppendGoAway(dst[:0], 1, ErrCodeNo, data[:10]) },
		"AppendRSTStream":    func() { dst = AppendRSTStream(dst[:0], 1, ErrCodeCancel) },
		"AppendWindowUpdate": func() { dst = AppendWindowUpdate(dst[:0], 1, 1<<16) },
		"AppendFrameHeader":  func() { dst = AppendFrameHeader(dst[:0], FrameHeader{0, FramePriority, 0, 1}) },
	} {
		check(t, name, f)
	}
}

func check(t *testing.T, name string, f func()) {
	t.Helper()
	if n := testing.AllocsPerRun(100, f); n != 0 {
		t.Errorf("%s: %v allocations, want 0", name, n)
	}
}

func BenchmarkReadFrame(b *testing.B) {
	in := allocFrames["HEADERS"]
	b.ReportAllocs()
	for b.Loop() {
		_, _, _ = ReadFrame(in, DefaultMaxFrameSize)
	}
}

func BenchmarkAppendHeaders(b *testing.B) {
	dst := make([]byte, 0, 256)
	block := make([]byte, 100)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendHeaders(dst[:0], 1, true, block, 0)
	}
}

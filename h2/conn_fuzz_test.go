package h2

import (
	"bytes"
	"slices"
	"testing"
)

// FuzzConnServer feeds arbitrary frames, after a valid preface, to a server
// Conn, whole and in arbitrary cuts. It must never panic; Feed consumes
// within what it is given, and after an error nothing; Output is always a
// sequence of frames that parse, in an order our Decoder accepts; and the
// cuts change nothing: the same events and the same Output as whole.
func FuzzConnServer(f *testing.F) {
	for _, s := range connSeeds() {
		f.Add(s, uint16(1))
		f.Add(s, uint16(7919))
	}
	f.Fuzz(func(t *testing.T, in []byte, cuts uint16) {
		if len(in) > 1<<16 {
			return // a few frames say as much, and minimizing stays fast
		}
		whole, wholeOut, wholeErr := fuzzRun(t, in, func(int) int { return len(in) })
		sizes := func(i int) int { return int(cuts>>(i%16))&0x3f + 1 }
		cut, cutOut, cutErr := fuzzRun(t, in, sizes)
		if wholeErr != cutErr || !slices.Equal(whole, cut) || !bytes.Equal(wholeOut, cutOut) {
			t.Fatalf("cuts change the outcome:\n whole %v %q\n cut   %v %q", wholeErr, whole, cutErr, cut)
		}
	})
}

// fuzzRun feeds preface, SETTINGS and in to a new server Conn, handing it
// size(i) more bytes at step i, and returns the events, all Output, and the
// error.
func fuzzRun(t *testing.T, in []byte, size func(i int) int) ([]string, []byte, error) {
	r := &recorder{}
	c := NewConn(Server, &Config{MaxControlQueue: 1 << 30, InitialWindowSize: 1000, MaxHeaderListSize: 2000}, r)
	r.onHeaders = func(id uint32, h *Head, trailers, end bool) {
		if !trailers {
			c.WriteHeaders(id, &Head{Status: 200}, false)
			c.WriteData(id, []byte("resp"), end)
		}
	}
	r.onData = func(id uint32, data []byte, end bool) {
		c.Consume(id, len(data))
		if end {
			c.WriteData(id, nil, true)
		}
	}
	c.Start()
	all := bytes.Clone(c.Output())
	c.ClearOutput()
	all = fuzzFeed(t, c, append([]byte(ClientPreface), settings()...), all, func(int) int { return 1 << 30 })
	all = fuzzFeed(t, c, in, all, size)
	checkOutput(t, all)
	return r.events, all, c.err
}

// fuzzFeed feeds in to c in steps and checks Feed's invariants.
func fuzzFeed(t *testing.T, c *Conn, in []byte, all []byte, size func(i int) int) []byte {
	var kept []byte
	given := 0
	for i := 0; given < len(in); i++ {
		k := min(size(i), len(in)-given)
		kept = append(kept, in[given:given+k]...)
		given += k
		failed := c.err != nil
		n, err := c.Feed(kept)
		if n < 0 || n > len(kept) || (failed && n != 0) || (err != nil) != (c.err != nil) {
			t.Fatalf("Feed(%d bytes) = %d, %v (failed before: %v)", len(kept), n, err, failed)
		}
		if _, ok := err.(ConnectionError); err != nil && !ok {
			t.Fatalf("Feed error %T %v", err, err)
		}
		kept = kept[n:]
		all = append(all, c.Output()...)
		c.ClearOutput()
	}
	return all
}

// checkOutput: our Output parses as frames in an order a peer's Decoder
// accepts, and ends at a frame boundary.
func checkOutput(t *testing.T, out []byte) {
	out = bytes.TrimPrefix(out, []byte(ClientPreface))
	d := Decoder{MaxFrameSize: MaxFrameSizeLimit}
	for len(out) > 0 {
		f, n, err := d.ReadFrame(out)
		if err != nil {
			t.Fatalf("Output: %v at % x", err, out[:min(len(out), 16)])
		}
		if f.Type == FrameGoAway && n != len(out) {
			t.Fatal("frames after GOAWAY on error")
		}
		out = out[n:]
	}
}

// connSeeds are valid exchanges and a few classic attacks, without the
// preface and first SETTINGS.
func connSeeds() [][]byte {
	join := func(fs ...[]byte) []byte { return bytes.Join(fs, nil) }
	var seeds [][]byte
	for _, build := range []func(p *peer) []byte{
		func(p *peer) []byte { return join(AppendSettingsAck(nil), headers(1, true, p.req("GET", "/"))) },
		func(p *peer) []byte {
			return join(headers(1, false, p.req("POST", "/", "content-length", "3")), data(1, false, "ab"), paddedData(1, true, "c", 4))
		},
		func(p *peer) []byte {
			return join(headers(1, false, p.req("POST", "/")), data(1, false, "x"), headers(1, true, p.block("grpc-status", "0")))
		},
		func(p *peer) []byte {
			big := p.req("GET", "/big", "x-long", string(bytes.Repeat([]byte("v"), 300)))
			return join(rawFrame(FrameHeaders, 0, 3, big[:100]...), rawFrame(FrameContinuation, 0, 3, big[100:200]...),
				rawFrame(FrameContinuation, FlagContinuationEndHeaders, 3, big[200:]...))
		},
		func(p *peer) []byte {
			return join(ping(false, 1), settings(Setting{SettingInitialWindowSize, 10}), wu(0, 100),
				headers(5, false, p.req("GET", "/")), wu(5, 1), rst(5, ErrCodeCancel))
		},
		func(p *peer) []byte {
			return join(headers(1, false, p.req("GET", "/")), rst(1, ErrCodeCancel), headers(3, false, p.req("GET", "/")), rst(3, ErrCodeCancel))
		},
		func(p *peer) []byte {
			return join(rawFrame(FramePriority, 0, 3, 0, 0, 0, 3, 1), AppendGoAway(nil, 0, ErrCodeNo, []byte("bye")))
		},
		func(p *peer) []byte {
			return join(headers(1, false, p.req("PUT", "/")), data(1, false, string(make([]byte, 1001))))
		},
		func(p *peer) []byte {
			return join(headers(1, true, p.req("GET", "/a", "x-idx", "1")), headers(3, true, p.req("GET", "/b", "x-idx", "1")),
				headers(5, false, p.req("POST", "/c", "x-idx", "1")), data(5, true, "body"))
		},
	} {
		seeds = append(seeds, build(&peer{enc: newEnc()}))
	}
	return seeds
}

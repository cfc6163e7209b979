package h2

import (
	"errors"
	"regexp"
	"testing"
)

// Reinit readies a Conn for a new connection: no stream, no state, the
// buffers and stream structs kept.
func TestConnReinit(t *testing.T) {
	p := newServer(t, nil)
	for id := uint32(1); id < 20; id += 2 {
		p.feed(headers(id, false, p.req("POST", "/")))
	}
	p.c.GoAway(ErrCodeNo, nil)
	out := cap(p.c.out)
	p.c.Reinit(Server, &Config{MaxConcurrentStreams: 3}, p.r)
	if p.c.ActiveStreams() != 0 || len(p.c.streams.free) != 10 || p.c.Stats().StreamsOpened != 0 || p.c.Done() || cap(p.c.out) != out {
		t.Fatalf("after Reinit: %d active, %d free, %+v", p.c.ActiveStreams(), len(p.c.streams.free), p.c.Stats())
	}
	p.c.Start()
	p.frames()
	p.enc = newEnc()
	p.r.take()
	p.feed([]byte(ClientPreface), settings(), headers(1, true, p.req("GET", "/again")))
	p.events("headers 1 GET /again end")
	if len(p.c.streams.free) != 9 {
		t.Fatal("stream not taken from the free list")
	}
	for id := uint32(3); id <= 7; id += 2 {
		p.feed(headers(id, true, p.req("GET", "/")))
	}
	p.expect("SETTINGS ACK", "RST_STREAM 7 REFUSED_STREAM")
}

// Feeding an exchange byte by byte gives the same events and Output as
// feeding it whole.
func TestConnFeedByteByByte(t *testing.T) {
	for i, s := range connSeeds() {
		whole, wholeOut, wholeErr := fuzzRun(t, s, func(int) int { return len(s) })
		cut, cutOut, cutErr := fuzzRun(t, s, func(int) int { return 1 })
		if wholeErr != nil || cutErr != nil || len(whole) == 0 || len(cut) != len(whole) || string(cutOut) != string(wholeOut) {
			t.Fatalf("seed %d: whole %v %q, byte by byte %v %q", i, wholeErr, whole, cutErr, cut)
		}
	}
}

func TestConnStatsNames(t *testing.T) {
	s := ConnStats{StreamsOpened: 3}
	s.ResetsSent[ErrCodeCancel] = 2
	seen := map[string]uint64{}
	s.Each(func(name string, v uint64) {
		if !regexp.MustCompile(`^h2_[a-z0-9_]+$`).MatchString(name) {
			t.Errorf("name %q", name)
		}
		if _, dup := seen[name]; dup {
			t.Errorf("duplicate %q", name)
		}
		seen[name] = v
	})
	if len(seen) != 3+32 || seen["h2_resets_sent_cancel"] != 2 || seen["h2_streams_opened"] != 3 || seen["h2_resets_received_code_15_up"] != 0 {
		t.Fatalf("%v", seen)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (&Config{}).Validate(); err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []Config{
		{InitialWindowSize: 1 << 31}, {ConnWindowSize: 1 << 31}, {ConnWindowSize: 1000},
		{MaxFrameSize: 1000}, {MaxFrameSize: 1 << 24}, {MaxRapidResets: -1},
	} {
		if err := cfg.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v", cfg, err)
		}
		c := cfg.withDefaults() // NewConn clamps instead
		if c.Validate() != nil {
			t.Errorf("withDefaults(%+v) = %+v, invalid", cfg, c)
		}
	}
}

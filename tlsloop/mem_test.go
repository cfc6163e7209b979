package tlsloop

import (
	"crypto/tls"
	"testing"
)

// memPair is a server Session and a client tls.Conn joined in memory, no
// socket, no loop: both transports pump straight into each other during
// the handshake, then both run in loop mode on the caller's goroutine. It
// is tlsbench's Pair for the benchmarks, and the record-layer tests use it.
type memPair struct {
	t       testing.TB
	srv     *Session
	cli     *tls.Conn
	ct      *transport
	cliBufs loopBufs
}

func newMemPair(t testing.TB, s *Server, ccfg *tls.Config) *memPair {
	t.Helper()
	var st, ct *transport
	st = newTransport(nil, nil, func() { ct.feed(st.takeOut()) })
	ct = newTransport(nil, nil, func() { st.feed(ct.takeOut()) })
	stc := tls.Server(st, s.tls.Load())
	done := make(chan error, 1)
	go func() { done <- stc.Handshake() }()
	cli := tls.Client(ct, ccfg)
	if err := cli.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	p := &memPair{t: t, cli: cli, ct: ct}
	st.toLoop(&loopBufs{})
	ct.toLoop(&p.cliBufs)
	p.srv = &Session{tc: stc, t: st, info: newInfo(stc.ConnectionState())}
	return p
}

func (p *memPair) Client() *tls.Conn { return p.cli }
func (p *memPair) Resumed() bool     { return p.srv.info.Resumed }

// ClientIn is a view, as Session.Feed: read up before the next Seal.
func (p *memPair) ClientIn(records []byte) { p.ct.in = records }

func (p *memPair) ClientOut() []byte {
	out := p.cliBufs.out
	p.cliBufs.out = out[:0]
	return out
}

func (p *memPair) Echo(records, buf []byte) []byte {
	p.srv.Feed(records)
	if err := p.srv.Seal(buf[:p.readAll(buf)]); err != nil {
		p.t.Fatal(err)
	}
	return p.srv.Output()
}

// toServer seals b on the client and returns the records.
func (p *memPair) toServer(b []byte) []byte {
	if _, err := p.cli.Write(b); err != nil {
		p.t.Fatal(err)
	}
	return p.ClientOut()
}

// readAll pulls everything the server Session decodes now.
func (p *memPair) readAll(buf []byte) int {
	got := 0
	for {
		n, err := p.srv.Read(buf[got:])
		if err != nil {
			p.t.Fatal(err)
		}
		if n == 0 {
			return got
		}
		got += n
	}
}

// The property the design stands on: after the handshake, a transport that
// runs dry mid-record gives tls.Conn.Read a temporary net.Error, and
// crypto/tls does not make it sticky: the same tls.Conn reads the record
// once the rest is fed. If a future Go keeps the error, this fails.
func TestDryErrorNotSticky(t *testing.T) {
	ts := startServer(t, Config{}, echo)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		cfg := ts.client("localhost")
		cfg.MinVersion, cfg.MaxVersion = v, v
		p := newMemPair(t, ts.srv, cfg)
		rec := p.toServer([]byte("hello, records"))
		buf := make([]byte, 64)
		for cut := range len(rec) { // every split: header, body, tag
			// tls.Conn itself, not Session.Read, so the error is seen as is.
			p.srv.t.in = rec[:cut]
			n, err := p.srv.tc.Read(buf)
			if n != 0 || err == nil {
				t.Fatalf("cut %d: Read = %d, %v on a partial record", cut, n, err)
			}
			if ne, ok := err.(interface{ Temporary() bool }); !ok || !ne.Temporary() {
				t.Fatalf("cut %d: error %v is not temporary", cut, err)
			}
			p.srv.t.in = nil
			// The rest of the record.
			p.srv.Feed(rec[cut:])
			if n := p.readAll(buf); string(buf[:n]) != "hello, records" {
				t.Fatalf("version %x cut %d: read %q after the dry error", v, cut, buf[:n])
			}
			if cut < len(rec)-1 {
				rec = p.toServer([]byte("hello, records"))
			}
		}
	}
}

// A record's plaintext comes out across Reads when p is small.
func TestSessionSmallReads(t *testing.T) {
	ts := startServer(t, Config{}, echo)
	p := newMemPair(t, ts.srv, ts.client("localhost"))
	p.srv.Feed(p.toServer([]byte("0123456789")))
	var got []byte
	one := make([]byte, 3)
	for {
		n, err := p.srv.Read(one)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		got = append(got, one[:n]...)
	}
	if string(got) != "0123456789" {
		t.Fatalf("read %q", got)
	}
}

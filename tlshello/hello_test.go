package tlshello

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"
)

// captureConn is a net.Conn that keeps what is written to it and fails
// every read: a crypto/tls client handshaking over it writes its
// ClientHello, then gives up.
type captureConn struct {
	net.Conn // nil: only the methods below are used
	out      bytes.Buffer
}

func (c *captureConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c *captureConn) Read([]byte) (int, error)         { return 0, errors.New("no server here") }
func (c *captureConn) Close() error                     { return nil }
func (c *captureConn) SetDeadline(time.Time) error      { return nil }
func (c *captureConn) SetWriteDeadline(time.Time) error { return nil }
func (c *captureConn) SetReadDeadline(time.Time) error  { return nil }
func (c *captureConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *captureConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }

// clientHello is what crypto/tls sends first with cfg.
func clientHello(t testing.TB, cfg *tls.Config) []byte {
	t.Helper()
	c := &captureConn{}
	tls.Client(c, cfg).Handshake() // fails at the first read, after the hello
	if c.out.Len() == 0 {
		t.Fatal("crypto/tls wrote no ClientHello")
	}
	return c.out.Bytes()
}

func TestServerNameFromCryptoTLS(t *testing.T) {
	cases := []struct {
		name string
		cfg  *tls.Config
		want string
	}{
		{"TLS 1.3", &tls.Config{ServerName: "api.example.com"}, "api.example.com"},
		{"TLS 1.2 only", &tls.Config{ServerName: "Old.Example.COM", MaxVersion: tls.VersionTLS12}, "Old.Example.COM"},
		{"with ALPN", &tls.Config{ServerName: "h2.example.com", NextProtos: []string{"h2", "http/1.1"}}, "h2.example.com"},
		{"an IP address: no SNI", &tls.Config{ServerName: "127.0.0.1", InsecureSkipVerify: true}, ""},
		{"no server name", &tls.Config{InsecureSkipVerify: true}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hello := clientHello(t, tc.cfg)
			got, err := ServerName(hello)
			if err != nil || string(got) != tc.want {
				t.Fatalf("ServerName = %q, %v; want %q", got, err, tc.want)
			}
			// Every prefix needs more; the name never depends on what follows.
			for n := 0; n < len(hello); n++ {
				if _, err := ServerName(hello[:n]); err != ErrNeedMore {
					t.Fatalf("prefix of %d of %d bytes: %v, want ErrNeedMore", n, len(hello), err)
				}
			}
			if got2, err := ServerName(append(hello[:len(hello):len(hello)], "more bytes"...)); err != nil || string(got2) != tc.want {
				t.Fatalf("with bytes after it: %q, %v", got2, err)
			}
		})
	}
}

// reframe splits the handshake message of hello into records of at most
// n bytes of fragment each.
func reframe(hello []byte, n int) []byte {
	msg := hello[5:]
	var out []byte
	for len(msg) > 0 {
		k := min(n, len(msg))
		out = append(out, recordHandshake, 3, 1, byte(k>>8), byte(k))
		out = append(out, msg[:k]...)
		msg = msg[k:]
	}
	return out
}

func TestServerNameAcrossRecords(t *testing.T) {
	hello := clientHello(t, &tls.Config{ServerName: "split.example.com"})
	msgLen := len(hello) - 5
	for _, records := range []int{2, 3, 4} {
		n := (msgLen + records - 1) / records
		split := reframe(hello, n)
		orig := append([]byte(nil), split...)
		got, err := ServerName(split)
		if err != nil || string(got) != "split.example.com" {
			t.Fatalf("%d records: %q, %v", records, got, err)
		}
		if !bytes.Equal(split, orig) {
			t.Fatalf("%d records: the input was written to", records)
		}
		if _, err := ServerName(split[:len(split)-1]); err != ErrNeedMore {
			t.Fatalf("%d records, last byte missing: %v", records, err)
		}
	}
	// More records than any client sends: refused, so that a hello
	// dribbled out a byte per record costs nothing.
	for _, n := range []int{1, 4, msgLen/5 + 1} {
		if _, err := ServerName(reframe(hello, n)); err != ErrMalformed {
			t.Fatalf("fragments of %d bytes: %v, want ErrMalformed", n, err)
		}
	}
}

func TestServerNameRefuses(t *testing.T) {
	hello := clientHello(t, &tls.Config{ServerName: "example.com"})
	badName := bytes.Replace(append([]byte(nil), hello...), []byte("example.com"), []byte("exa\x00ple.com"), 1)
	tooLong := []byte{recordHandshake, 3, 1, 0, 4, typeClientHello, 0, 0x50, 0}
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"HTTP", []byte("GET / HTTP/1.1\r\n\r\n"), ErrNotTLS},
		{"SSH", []byte("SSH-2.0-OpenSSH_9.2\r\n"), ErrNotTLS},
		{"TLS alert record", []byte{21, 3, 3, 0, 2, 2, 40}, ErrNotTLS},
		{"SSLv2-style first byte", []byte{0x80, 0x2e, 1, 3, 1}, ErrNotTLS},
		{"not a ClientHello", []byte{recordHandshake, 3, 3, 0, 4, 2, 0, 0, 0}, ErrNotTLS},
		{"empty record", []byte{recordHandshake, 3, 1, 0, 0}, ErrMalformed},
		{"record over the limit", []byte{recordHandshake, 3, 1, 0x50, 0}, ErrMalformed},
		{"hello over MaxHello", tooLong, ErrTooLarge},
		{"name with a NUL", badName, ErrMalformed},
		{"truncated inside", append(append([]byte{recordHandshake, 3, 1, 0, 8}, typeClientHello, 0, 0, 4), 3, 3, 0, 0), ErrMalformed},
	}
	for _, tc := range cases {
		if _, err := ServerName(tc.in); err != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestServerNameAllocs(t *testing.T) {
	hello := clientHello(t, &tls.Config{ServerName: "api.example.com"})
	if n := testing.AllocsPerRun(100, func() { ServerName(hello) }); n != 0 {
		t.Fatalf("%v allocations for a ClientHello in one record, want 0", n)
	}
}

// FuzzServerName: no input panics; a name found is plausible, and bytes
// after a complete hello change nothing.
func FuzzServerName(f *testing.F) {
	for _, cfg := range []*tls.Config{{ServerName: "a.example.com"}, {ServerName: "b.example.com", MaxVersion: tls.VersionTLS12}, {InsecureSkipVerify: true}} {
		h := clientHello(f, cfg)
		f.Add(h)
		f.Add(reframe(h, (len(h)-5)/3+1))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		name, err := ServerName(data)
		if err != nil {
			return
		}
		if name != nil && !plausibleHost(name) {
			t.Fatalf("implausible name %q", name)
		}
		name2, err := ServerName(append(data[:len(data):len(data)], 0xff, 0x00))
		if err != nil || !bytes.Equal(name, name2) {
			t.Fatalf("with bytes after it: %q, %v; before: %q", name2, err, name)
		}
	})
}

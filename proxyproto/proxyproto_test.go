package proxyproto

import (
	"bufio"
	"bytes"
	"net"
	"net/netip"
	"testing"

	pp "github.com/pires/go-proxyproto"
)

var addrCases = []struct{ src, dst string }{
	{"192.0.2.1:56324", "198.51.100.2:443"},
	{"127.0.0.1:1", "127.0.0.1:65535"},
	{"[2001:db8::1]:40000", "[2001:db8::2]:8443"},
	{"[::1]:0", "[::1]:80"},
}

// TestParseTheirs: headers written by github.com/pires/go-proxyproto
// (v1, v2, v2 with TLVs) read as the addresses they carry.
func TestParseTheirs(t *testing.T) {
	for _, c := range addrCases {
		src, dst := netip.MustParseAddrPort(c.src), netip.MustParseAddrPort(c.dst)
		for _, version := range []byte{1, 2} {
			h := pp.HeaderProxyFromAddrs(version, net.TCPAddrFromAddrPort(src), net.TCPAddrFromAddrPort(dst))
			if version == 2 {
				if err := h.SetTLVs([]pp.TLV{{Type: pp.PP2_TYPE_AUTHORITY, Value: []byte("api.example.com")}, {Type: pp.PP2_TYPE_NOOP, Value: make([]byte, 100)}}); err != nil {
					t.Fatal(err)
				}
			}
			raw, err := h.Format()
			if err != nil {
				t.Fatal(err)
			}
			in := append(append([]byte(nil), raw...), "GET / HTTP/1.1\r\n"...)
			got, n, err := Parse(in)
			if err != nil || n != len(raw) || got.Version != int(version) || got.Local || got.Source != src || got.Dest != dst {
				t.Errorf("v%d %s -> %s: %+v, %d of %d, %v", version, c.src, c.dst, got, n, len(raw), err)
			}
			for k := 0; k < len(raw); k++ {
				if _, _, err := Parse(raw[:k]); err != ErrNeedMore {
					t.Fatalf("v%d: prefix of %d of %d bytes: %v, want ErrNeedMore", version, k, len(raw), err)
				}
			}
		}
	}
}

// TestTheyParseOurs: what AppendV1 and AppendV2 write, go-proxyproto reads
// as the same addresses.
func TestTheyParseOurs(t *testing.T) {
	for _, c := range addrCases {
		src, dst := netip.MustParseAddrPort(c.src), netip.MustParseAddrPort(c.dst)
		for version, raw := range map[byte][]byte{1: AppendV1(nil, src, dst), 2: AppendV2(nil, src, dst)} {
			h, err := pp.Read(bufio.NewReader(bytes.NewReader(append(raw, "rest"...))))
			if err != nil {
				t.Fatalf("v%d %q: %v", version, raw, err)
			}
			s, d, ok := h.TCPAddrs()
			if !ok || h.Version != version || s.AddrPort() != src || d.AddrPort() != dst {
				t.Errorf("v%d %q: %v %v %v (version %d)", version, raw, s, d, ok, h.Version)
			}
		}
	}
}

func TestLocal(t *testing.T) {
	local := pp.HeaderProxyFromAddrs(2, nil, nil)
	local.Command = pp.LOCAL
	raw, err := local.Format()
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range [][]byte{raw, []byte("PROXY UNKNOWN whatever follows\r\n"), AppendV1(nil, netip.AddrPort{}, netip.AddrPort{}), AppendV2(nil, netip.AddrPort{}, netip.AddrPort{})} {
		h, n, err := Parse(in)
		if err != nil || !h.Local || n != len(in) || h.Source.IsValid() {
			t.Errorf("%q: %+v, %d, %v; want a local header", in, h, n, err)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	long := append([]byte("PROXY TCP4 "), bytes.Repeat([]byte("1"), 120)...)
	v2Big := append(append([]byte(nil), sigV2...), v2Proxy, famInet<<4|1, 0xff, 0xff)
	cases := []struct {
		name string
		in   string
		want error
	}{
		{"HTTP", "GET / HTTP/1.1\r\n", ErrNotProxy},
		{"POST is no PROXY", "POST / HTTP/1.1\r\n", ErrNotProxy},
		{"TLS", "\x16\x03\x01\x00\x05", ErrNotProxy},
		{"v1 without CRLF in 107 bytes", string(long), ErrMalformed},
		{"v1 bad family", "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", ErrMalformed},
		{"v1 family mismatch", "PROXY TCP4 ::1 ::1 1 2\r\n", ErrMalformed},
		{"v1 port too big", "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", ErrMalformed},
		{"v1 port with a sign", "PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n", ErrMalformed},
		{"v1 leading zero", "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", ErrMalformed},
		{"v1 missing field", "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", ErrMalformed},
		{"v1 double space", "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", ErrMalformed},
		{"v2 version 1", string(append(append([]byte(nil), sigV2...), 0x11, 0x11, 0, 0)), ErrMalformed},
		{"v2 unknown command", string(append(append([]byte(nil), sigV2...), 0x22, 0x11, 0, 0)), ErrMalformed},
		{"v2 over MaxV2", string(v2Big), ErrTooLarge},
		{"v2 IPv4 short", string(append(append([]byte(nil), sigV2...), v2Proxy, famInet<<4|1, 0, 4, 1, 2, 3, 4)), ErrMalformed},
	}
	for _, tc := range cases {
		if _, _, err := Parse([]byte(tc.in)); err != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// FuzzParse: no input panics; a header parsed is consumed whole, and what
// follows it changes nothing.
func FuzzParse(f *testing.F) {
	for _, c := range addrCases {
		src, dst := netip.MustParseAddrPort(c.src), netip.MustParseAddrPort(c.dst)
		f.Add(AppendV1(nil, src, dst))
		f.Add(AppendV2(nil, src, dst))
	}
	f.Add([]byte("PROXY UNKNOWN\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, n, err := Parse(data)
		if err != nil {
			return
		}
		if n <= 0 || n > len(data) {
			t.Fatalf("length %d of %d", n, len(data))
		}
		h2, n2, err := Parse(append(data[:n:n], "GET"...))
		if err != nil || h2 != h || n2 != n {
			t.Fatalf("with bytes after it: %+v %d %v; before: %+v %d", h2, n2, err, h, n)
		}
	})
}

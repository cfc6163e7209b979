package hpack

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

// The examples of RFC 7541 Appendix C, byte for byte.

type field struct {
	name, value string
	sensitive   bool
}

// step is one header block of an example: its bytes, the fields it
// decodes to, and the dynamic table after it (newest first) and its size.
type step struct {
	hex    string
	fields []field
	table  []field
	size   uint32
}

func dehex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeAll(d *Decoder, block []byte) ([]field, error) {
	var got []field
	err := d.DecodeBlock(block, func(name, value []byte, sensitive bool) {
		got = append(got, field{string(name), string(value), sensitive})
	})
	return got, err
}

func tableOf(d *Decoder) []field {
	var tab []field
	for i := 0; i < d.TableLen(); i++ {
		n, v := d.TableEntry(i)
		tab = append(tab, field{name: string(n), value: string(v)})
	}
	return tab
}

func equalFields(a, b []field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// runSteps decodes the steps in order with one Decoder, checking fields and
// table after each, and, if encode is set, that an Encoder of the same table
// size reproduces each block exactly.
func runSteps(t *testing.T, tableSize uint32, encode bool, steps []step) {
	t.Helper()
	d := NewDecoder(tableSize)
	e := NewEncoder(tableSize)
	for i, s := range steps {
		block := dehex(t, s.hex)
		got, err := decodeAll(d, block)
		if err != nil {
			t.Fatalf("block %d: %v", i+1, err)
		}
		if !equalFields(got, s.fields) {
			t.Errorf("block %d fields:\n got %+v\nwant %+v", i+1, got, s.fields)
		}
		if tab := tableOf(d); !equalFields(tab, s.table) {
			t.Errorf("block %d table:\n got %+v\nwant %+v", i+1, tab, s.table)
		}
		if size, _ := d.TableSize(); size != s.size {
			t.Errorf("block %d table size = %d, want %d", i+1, size, s.size)
		}
		if !encode {
			continue
		}
		var enc []byte
		for _, f := range s.fields {
			enc = e.AppendField(enc, []byte(f.name), []byte(f.value), f.sensitive)
		}
		if !bytes.Equal(enc, block) {
			t.Errorf("block %d encoded:\n got %x\nwant %x", i+1, enc, block)
		}
	}
}

func TestDecodeC2_1_LiteralWithIndexing(t *testing.T) {
	runSteps(t, 4096, false, []step{{
		hex:    "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572",
		fields: []field{{"custom-key", "custom-header", false}},
		table:  []field{{"custom-key", "custom-header", false}},
		size:   55,
	}})
}

func TestDecodeC2_2_LiteralWithoutIndexing(t *testing.T) {
	runSteps(t, 4096, false, []step{{
		hex:    "040c 2f73 616d 706c 652f 7061 7468",
		fields: []field{{":path", "/sample/path", false}},
	}})
}

func TestDecodeC2_3_LiteralNeverIndexed(t *testing.T) {
	runSteps(t, 4096, false, []step{{
		hex:    "1008 7061 7373 776f 7264 0673 6563 7265 74",
		fields: []field{{"password", "secret", true}},
	}})
}

func TestDecodeC2_4_Indexed(t *testing.T) {
	runSteps(t, 4096, false, []step{{
		hex:    "82",
		fields: []field{{":method", "GET", false}},
	}})
}

var (
	c3Fields1 = []field{{":method", "GET", false}, {":scheme", "http", false}, {":path", "/", false}, {":authority", "www.example.com", false}}
	c3Fields2 = append(append([]field{}, c3Fields1...), field{"cache-control", "no-cache", false})
	c3Fields3 = []field{{":method", "GET", false}, {":scheme", "https", false}, {":path", "/index.html", false}, {":authority", "www.example.com", false}, {"custom-key", "custom-value", false}}
	c3Table1  = []field{{":authority", "www.example.com", false}}
	c3Table2  = []field{{"cache-control", "no-cache", false}, {":authority", "www.example.com", false}}
	c3Table3  = []field{{"custom-key", "custom-value", false}, {"cache-control", "no-cache", false}, {":authority", "www.example.com", false}}
)

func TestDecodeC3_RequestsNoHuffman(t *testing.T) {
	runSteps(t, 4096, false, []step{
		{"8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", c3Fields1, c3Table1, 57},
		{"8286 84be 5808 6e6f 2d63 6163 6865", c3Fields2, c3Table2, 110},
		{"8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65", c3Fields3, c3Table3, 164},
	})
}

// TestDecodeC4_RequestsHuffman also checks that an Encoder with a 4096-byte
// table emits exactly the RFC's blocks.
func TestDecodeC4_RequestsHuffman(t *testing.T) {
	runSteps(t, 4096, true, []step{
		{"8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", c3Fields1, c3Table1, 57},
		{"8286 84be 5886 a8eb 1064 9cbf", c3Fields2, c3Table2, 110},
		{"8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf", c3Fields3, c3Table3, 164},
	})
}

const (
	c5Date1  = "Mon, 21 Oct 2013 20:13:21 GMT"
	c5Date2  = "Mon, 21 Oct 2013 20:13:22 GMT"
	c5Loc    = "https://www.example.com"
	c5Cookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"
)

var (
	c5Fields1 = []field{{":status", "302", false}, {"cache-control", "private", false}, {"date", c5Date1, false}, {"location", c5Loc, false}}
	c5Fields2 = []field{{":status", "307", false}, {"cache-control", "private", false}, {"date", c5Date1, false}, {"location", c5Loc, false}}
	c5Fields3 = []field{{":status", "200", false}, {"cache-control", "private", false}, {"date", c5Date2, false}, {"location", c5Loc, false}, {"content-encoding", "gzip", false}, {"set-cookie", c5Cookie, false}}
	c5Table1  = []field{{"location", c5Loc, false}, {"date", c5Date1, false}, {"cache-control", "private", false}, {":status", "302", false}}
	c5Table2  = []field{{":status", "307", false}, {"location", c5Loc, false}, {"date", c5Date1, false}, {"cache-control", "private", false}}
	c5Table3  = []field{{"set-cookie", c5Cookie, false}, {"content-encoding", "gzip", false}, {"date", c5Date2, false}}
)

// TestDecodeC5_ResponsesNoHuffman runs with a 256-byte table, so entries
// are evicted (section 4.4).
func TestDecodeC5_ResponsesNoHuffman(t *testing.T) {
	runSteps(t, 256, false, []step{
		{`4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420
		  3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77
		  7777 2e65 7861 6d70 6c65 2e63 6f6d`, c5Fields1, c5Table1, 222},
		{"4803 3330 37c1 c0bf", c5Fields2, c5Table2, 222},
		{`88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32
		  3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a
		  584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33
		  3630 303b 2076 6572 7369 6f6e 3d31`, c5Fields3, c5Table3, 215},
	})
}

// TestDecodeC6_ResponsesHuffman also checks that an Encoder with a 256-byte
// table emits exactly the RFC's blocks, evicting as the decoder does.
func TestDecodeC6_ResponsesHuffman(t *testing.T) {
	runSteps(t, 256, true, []step{
		{`4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81
		  66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`, c5Fields1, c5Table1, 222},
		{"4883 640e ffc1 c0bf", c5Fields2, c5Table2, 222},
		{`88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a
		  839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36
		  72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07`, c5Fields3, c5Table3, 215},
	})
}

// staticFind agrees with a plain scan of the static table (RFC 7541
// Appendix A): the first exact entry, else the first entry of the name.
func TestStaticFindMatchesTable(t *testing.T) {
	scan := func(name, value string) (int, bool) {
		first := 0
		for i, e := range staticTable {
			if e.name == name {
				if first == 0 {
					first = i + 1
				}
				if e.value == value {
					return i + 1, true
				}
			}
		}
		return first, false
	}
	cases := [][2]string{{"x-unknown", ""}, {"", ""}, {":status", "999"}, {"accept-encoding", "br"}, {"www-authenticate", "x"}, {"access-control-allow-origin", "*"}}
	for _, e := range staticTable {
		cases = append(cases, [2]string{e.name, e.value}, [2]string{e.name, e.value + "x"})
	}
	for _, c := range cases {
		gi, ge := staticFind([]byte(c[0]), []byte(c[1]))
		wi, we := scan(c[0], c[1])
		if gi != wi || ge != we {
			t.Errorf("staticFind(%q, %q) = %d, %v; want %d, %v", c[0], c[1], gi, ge, wi, we)
		}
	}
}

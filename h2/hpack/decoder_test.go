package hpack

import (
	"errors"
	"strings"
	"testing"
)

// TestDecodeErrors checks that each malformed block gets its exported error.
func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want error
	}{
		{"Sec2_3_3_IndexZero", "80", ErrInvalidIndex},
		{"Sec2_3_3_IndexPastEmptyDynamic", "be", ErrInvalidIndex},
		{"Sec2_3_3_NameIndexPastTables", "7f00 0161", ErrInvalidIndex},
		{"Sec4_2_SizeUpdateAfterField", "8220", ErrMisplacedSizeUpdate},
		{"Sec6_3_SizeUpdateAboveLimit", "3fe2 1f", ErrTableSizeTooLarge}, // 4097
		{"Sec5_1_TruncatedInteger", "ff", ErrTruncated},
		{"Sec5_1_OverlongZeroContinuation", "ff80 00", ErrIntegerOverflow},
		{"Sec5_1_TooManyContinuations", "ff80 8080 8080 01", ErrIntegerOverflow},
		{"Sec5_1_Above32Bits", "ffff ffff ff7f", ErrIntegerOverflow},
		{"Sec5_2_TruncatedString", "400a 6375", ErrTruncated},
		{"Sec5_2_MissingValue", "4001 61", ErrTruncated},
		{"Sec5_2_HuffmanEOS", "0084 ffff ffff 0161", ErrInvalidHuffman},
		{"Sec5_2_HuffmanPadding8Bits", "0082 07ff 0161", ErrInvalidHuffman},
		{"Sec5_2_HuffmanPaddingNotOnes", "0081 0601 61", ErrInvalidHuffman},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeAll(NewDecoder(DefaultTableSize), dehex(t, tt.hex))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDecodeSec5_1_Integers(t *testing.T) {
	// C.1.1-C.1.3: 10 with a 5-bit prefix, 1337 with 5, 42 with 8.
	for _, tt := range []struct {
		n    uint8
		hex  string
		want uint64
	}{{5, "0a", 10}, {5, "1f9a 0a", 1337}, {8, "2a", 42}, {7, "7f00", 127}, {5, "1fe0 ffff ff0f", 1<<32 - 1}} {
		v, rest, err := readInt(tt.n, dehex(t, tt.hex))
		if err != nil || v != tt.want || len(rest) != 0 {
			t.Errorf("readInt(%d, %s) = %d, %x, %v; want %d", tt.n, tt.hex, v, rest, err, tt.want)
		}
		if got := appendInt(nil, 0, tt.n, tt.want); string(got) != string(dehex(t, tt.hex)) && tt.hex != "7f00" {
			t.Errorf("appendInt(%d, %d) = %x, want %s", tt.n, tt.want, got, tt.hex)
		}
	}
}

func TestDecodeSec4_2_SizeUpdates(t *testing.T) {
	d := NewDecoder(DefaultTableSize)
	// Two updates at the start are fine; the table follows the last.
	if _, err := decodeAll(d, dehex(t, "2030 82")); err != nil {
		t.Fatal(err)
	}
	if _, limit := d.TableSize(); limit != 16 {
		t.Fatalf("limit = %d, want 16", limit)
	}
	// Lowering SETTINGS_HEADER_TABLE_SIZE below the limit demands an update.
	d = NewDecoder(DefaultTableSize)
	d.SetMaxTableSize(100)
	if _, err := decodeAll(d, dehex(t, "82")); !errors.Is(err, ErrMissingSizeUpdate) {
		t.Fatalf("err = %v, want ErrMissingSizeUpdate", err)
	}
	if _, err := decodeAll(d, dehex(t, "3f45 82")); err != nil { // 100
		t.Fatal(err)
	}
	if _, err := decodeAll(d, dehex(t, "3f46")); !errors.Is(err, ErrTableSizeTooLarge) { // 101
		t.Fatalf("err = %v, want ErrTableSizeTooLarge", err)
	}
}

// TestDecodeSec4_4_EntryLargerThanTable empties the table (section 4.4).
func TestDecodeSec4_4_EntryLargerThanTable(t *testing.T) {
	d := NewDecoder(60)
	block := dehex(t, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572") // 55 bytes
	if _, err := decodeAll(d, block); err != nil || d.TableLen() != 1 {
		t.Fatalf("err %v, len %d", err, d.TableLen())
	}
	// A literal naming entry 62 with a 10-byte value: 10+10+32 = 52 fits once 62 goes.
	if _, err := decodeAll(d, dehex(t, "7e0a 3031 3233 3435 3637 3839")); err != nil {
		t.Fatal(err)
	}
	if got := tableOf(d); len(got) != 1 || got[0] != (field{"custom-key", "0123456789", false}) {
		t.Fatalf("table = %+v", got)
	}
	// 60 bytes of value: larger than the table, which ends up empty.
	long := "7e3c" + strings.Repeat("30", 60)
	if _, err := decodeAll(d, dehex(t, long)); err != nil || d.TableLen() != 0 {
		t.Fatalf("err %v, len %d", err, d.TableLen())
	}
}

// TestDecodeRFC9113Sec6_5_2_HeaderListSize: over the limit, no field past
// it is emitted, the block is still decoded into the table, and the error
// is ErrHeaderListTooLarge.
func TestDecodeRFC9113Sec6_5_2_HeaderListSize(t *testing.T) {
	d := NewDecoder(DefaultTableSize)
	d.MaxHeaderListSize = 50 // :method GET is 42; custom-key: custom-header 55
	got, err := decodeAll(d, dehex(t, "82 400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"))
	if !errors.Is(err, ErrHeaderListTooLarge) {
		t.Fatalf("err = %v", err)
	}
	if len(got) != 1 || d.TableLen() != 1 {
		t.Fatalf("emitted %+v, table len %d", got, d.TableLen())
	}
}

func TestDecodeMaxStringLength(t *testing.T) {
	d := NewDecoder(DefaultTableSize)
	d.MaxStringLength = 9
	if _, err := decodeAll(d, dehex(t, "400a 6375 7374 6f6d 2d6b 6579 0161")); !errors.Is(err, ErrStringTooLong) {
		t.Fatalf("raw: err = %v", err)
	}
	// C.4.3's custom-key, Huffman-coded in 8 bytes, decodes to 10.
	if _, err := decodeAll(d, dehex(t, "4088 25a8 49e9 5ba9 7d7f 0161")); !errors.Is(err, ErrStringTooLong) {
		t.Fatalf("huffman: err = %v", err)
	}
}

// TestZeroValues: the zero Decoder has the default table, and the zero
// Encoder is stateless but still sends the size update a lower
// SETTINGS_HEADER_TABLE_SIZE requires.
func TestZeroValues(t *testing.T) {
	var d Decoder
	if _, err := decodeAll(&d, dehex(t, "3fe1 1f 4001 6101 62")); err != nil || d.TableLen() != 1 {
		t.Fatalf("err %v, len %d", err, d.TableLen())
	}
	var e Encoder
	e.SetMaxTableSize(100)
	if got := e.AppendField(nil, []byte(":method"), []byte("GET"), false); string(got) != "\x20\x82" {
		t.Fatalf("zero Encoder after SetMaxTableSize(100): %x, want 2082", got)
	}
}

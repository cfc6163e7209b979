package hpack

// huffmanTree is the Appendix B code as a binary tree: huffmanTree[node][bit]
// is a child node (> 0) or a leaf, -(sym+1). Node 0 is the root.
var huffmanTree = buildHuffmanTree()

func buildHuffmanTree() [][2]int16 {
	tree := make([][2]int16, 1, 512)
	for sym := range huffmanCodes {
		code, n := huffmanCodes[sym], huffmanLengths[sym]
		node := 0
		for i := int(n) - 1; i > 0; i-- {
			bit := code >> uint(i) & 1
			if tree[node][bit] == 0 {
				tree = append(tree, [2]int16{})
				tree[node][bit] = int16(len(tree) - 1)
			}
			node = int(tree[node][bit])
		}
		tree[node][code&1] = int16(-(sym + 1))
	}
	return tree
}

// eosLeaf is the tree's leaf for EOS (symbol 256).
const eosLeaf = -257

// nibbleStep is what decoding 4 bits from one internal node of huffmanTree
// does: the node it ends on, and the symbol completed on the way, if any
// (codes are at least 5 bits, so there is at most one).
type nibbleStep struct {
	next  uint16
	sym   byte
	flags uint8
}

const (
	nibbleEmit = 1 << iota // sym was completed
	nibbleFail             // EOS was reached
)

// huffmanNibbles[node<<4|nibble] decodes 4 bits at a time;
// huffmanAccept[node] says a string may end there: on the root, or after at
// most 7 one bits of padding (section 5.2).
var huffmanNibbles, huffmanAccept = buildHuffmanNibbles()

func buildHuffmanNibbles() ([]nibbleStep, []bool) {
	steps := make([]nibbleStep, len(huffmanTree)*16)
	for node := range huffmanTree {
		for v := range 16 {
			st, cur := &steps[node<<4|v], node
			for i := 3; i >= 0; i-- {
				next := huffmanTree[cur][v>>uint(i)&1]
				switch {
				case next > 0:
					cur = int(next)
				case next == eosLeaf:
					st.flags |= nibbleFail
				default:
					st.sym, st.flags, cur = byte(-next-1), st.flags|nibbleEmit, 0
				}
			}
			st.next = uint16(cur)
		}
	}
	accept := make([]bool, len(huffmanTree))
	for node, depth := 0, 0; depth <= 7; depth++ {
		accept[node] = true
		node = int(huffmanTree[node][1])
	}
	return steps, accept
}

// appendHuffmanDecode appends the decoding of the Huffman string s to dst.
// maxLen, if not 0, bounds the decoded length (ErrStringTooLong).
func appendHuffmanDecode(dst, s []byte, maxLen int) ([]byte, error) {
	start, node := len(dst), 0
	for _, b := range s {
		for _, v := range [2]byte{b >> 4, b & 0xf} {
			st := huffmanNibbles[node<<4|int(v)]
			if st.flags&nibbleFail != 0 {
				return dst, ErrInvalidHuffman
			}
			if st.flags&nibbleEmit != 0 {
				if maxLen != 0 && len(dst)-start >= maxLen {
					return dst, ErrStringTooLong
				}
				dst = append(dst, st.sym)
			}
			node = int(st.next)
		}
	}
	if !huffmanAccept[node] {
		return dst, ErrInvalidHuffman
	}
	return dst, nil
}

// huffmanLen is the length in bytes of the Huffman coding of s.
func huffmanLen(s []byte) int {
	bits := 0
	for _, c := range s {
		bits += int(huffmanLengths[c])
	}
	return (bits + 7) / 8
}

// appendHuffman appends the Huffman coding of s, padded with ones.
func appendHuffman(dst, s []byte) []byte {
	var acc uint64 // pending bits, right-aligned
	n := uint(0)   // how many
	for _, c := range s {
		acc = acc<<huffmanLengths[c] | uint64(huffmanCodes[c])
		n += uint(huffmanLengths[c])
		for n >= 8 {
			n -= 8
			dst = append(dst, byte(acc>>n))
		}
	}
	if n > 0 {
		dst = append(dst, byte(acc<<(8-n))|byte(0xff>>n))
	}
	return dst
}

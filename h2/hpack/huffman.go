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

// appendHuffmanDecode appends the decoding of the Huffman string s to dst.
// maxLen, if not 0, bounds the decoded length (ErrStringTooLong).
func appendHuffmanDecode(dst, s []byte, maxLen int) ([]byte, error) {
	start := len(dst)
	node, depth, ones := 0, 0, true
	for _, b := range s {
		for i := 7; i >= 0; i-- {
			bit := b >> uint(i) & 1
			next := huffmanTree[node][bit]
			depth++
			ones = ones && bit == 1
			if next > 0 {
				node = int(next)
				continue
			}
			if next == eosLeaf {
				return dst, ErrInvalidHuffman
			}
			if maxLen != 0 && len(dst)-start >= maxLen {
				return dst, ErrStringTooLong
			}
			dst = append(dst, byte(-next-1))
			node, depth, ones = 0, 0, true
		}
	}
	if depth > 7 || !ones {
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

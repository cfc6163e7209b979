// Package codectest holds helpers shared by the tests of velox's
// incremental decoders (h1, h2): what every such decoder must survive is
// the same, whatever the protocol. Imported only by _test.go files.
package codectest

// PrefixCuts returns the prefix lengths to feed an incremental decoder for
// a message of n bytes: all of them for short messages, an even sample of
// about 64 for long ones, always including n-1.
func PrefixCuts(n int) []int {
	step := max(1, n/64)
	cuts := make([]int, 0, 66)
	for k := 0; k < n; k += step {
		cuts = append(cuts, k)
	}
	if n > 0 {
		cuts = append(cuts, n-1)
	}
	return cuts
}

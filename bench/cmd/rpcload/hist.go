package main

import "math/bits"

// histogram counts latencies in microseconds: exactly below 2048 µs, then
// in buckets of 1/1024 of their power of two (under 0.1 % off), up to
// about 36 minutes.
type histogram struct {
	counts [2048 + 20*1024]int64
	n      int64
	max    uint64
}

func bucketOf(us uint64) int {
	if us < 2048 {
		return int(us)
	}
	e := bits.Len64(us) - 11 // us>>e is in [1024, 2048)
	i := 2048 + (e-1)*1024 + int(us>>e) - 1024
	if i >= 2048+20*1024 {
		return 2048 + 20*1024 - 1
	}
	return i
}

// valueOf is the lowest latency of bucket i.
func valueOf(i int) uint64 {
	if i < 2048 {
		return uint64(i)
	}
	k := i - 2048
	e := k/1024 + 1
	return uint64(k%1024+1024) << e
}

func (h *histogram) add(us int64) {
	if us < 0 {
		us = 0
	}
	h.counts[bucketOf(uint64(us))]++
	h.n++
	h.max = max(h.max, uint64(us))
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// percentile is the latency that p percent of the samples do not exceed.
func (h *histogram) percentile(p float64) float64 {
	if h.n == 0 {
		return 0
	}
	rank := int64(p / 100 * float64(h.n))
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen > rank {
			return float64(valueOf(i))
		}
	}
	return float64(h.max)
}

package main

import (
	"math/bits"
	"time"
)

// hist is a log-linear latency histogram in the manner of HdrHistogram:
// values below 2^subBits nanoseconds are exact, larger ones fall into
// buckets 1/2^subBits of their power of two wide, so any percentile it
// reports is within 0.8 % of the recorded value. Its size is fixed (58 KiB),
// whatever the number of values recorded.
type hist struct {
	counts [histBuckets]uint64
	n      uint64
	sum    time.Duration
	max    time.Duration
}

const (
	subBits     = 7
	subCount    = 1 << subBits
	histBuckets = subCount * (64 - subBits + 1)
)

func bucketOf(v time.Duration) int {
	if v < subCount {
		if v < 0 {
			return 0
		}
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - subBits - 1
	return subCount + shift*subCount + int(uint64(v)>>shift) - subCount
}

// bucketValue is the middle of bucket i, the value percentiles report.
func bucketValue(i int) time.Duration {
	if i < subCount {
		return time.Duration(i)
	}
	shift := (i - subCount) / subCount
	low := uint64(subCount+(i-subCount)%subCount) << shift
	return time.Duration(low + (uint64(1)<<shift)/2)
}

func (h *hist) record(d time.Duration) {
	h.counts[bucketOf(d)]++
	h.n++
	h.sum += d
	if d > h.max {
		h.max = d
	}
}

func (h *hist) merge(o *hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	if o.max > h.max {
		h.max = o.max
	}
}

// quantile returns the value at or below which a fraction q of the
// recorded values lie (0 when nothing was recorded).
func (h *hist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q * float64(h.n))
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		if seen += c; seen >= rank {
			v := bucketValue(i)
			if v > h.max {
				v = h.max
			}
			return v
		}
	}
	return h.max
}

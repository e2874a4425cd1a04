package main

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramQuantilesAreWithinItsResolution(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h hist
	values := make([]time.Duration, 0, 100_000)
	for range 100_000 {
		v := time.Duration(r.ExpFloat64() * float64(3*time.Millisecond))
		values = append(values, v)
		h.record(v)
	}
	slices.Sort(values)
	for _, q := range []float64{0.5, 0.95, 0.99, 0.999} {
		exact := values[int(q*float64(len(values)))-1]
		got := h.quantile(q)
		if diff := float64(got-exact) / float64(exact); diff > 0.01 || diff < -0.01 {
			t.Errorf("p%g = %v, exact %v (%.2f %% off)", q*100, got, exact, 100*diff)
		}
	}
	if h.max != values[len(values)-1] || h.n != uint64(len(values)) {
		t.Errorf("max %v n %d, want %v %d", h.max, h.n, values[len(values)-1], len(values))
	}
}

func TestHistogramBucketsCoverEveryDuration(t *testing.T) {
	for _, v := range []time.Duration{0, 1, 127, 128, 255, 256, 1000, time.Second, time.Hour, 1<<63 - 1} {
		i := bucketOf(v)
		if i < 0 || i >= histBuckets {
			t.Fatalf("bucketOf(%v) = %d, outside 0..%d", v, i, histBuckets)
		}
		if mid := bucketValue(i); v >= subCount && (float64(mid-v)/float64(v) > 0.008 || float64(v-mid)/float64(v) > 0.008) {
			t.Errorf("%v falls in a bucket reported as %v", v, mid)
		}
	}
}

func TestOrderCountsSplitTheTotal(t *testing.T) {
	counts := orderCounts(50, 1_000_000, 300_000)
	sum := 0
	for _, c := range counts {
		sum += c
	}
	if sum != 1_000_000 || counts[0] != 300_000 || counts[1] < counts[49] {
		t.Errorf("counts %v add up to %d", counts, sum)
	}
}

// Package shard splits a scenario selection over n CI jobs: shard k of n
// runs its share, every scenario runs in exactly one shard, and the split
// depends only on the selection (and the durations given), never on the
// machine or the order files were found in. With the durations of a
// previous run the shards are balanced by time (longest first, each to the
// shard with the least time so far); without, by count.
package shard

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Spec is shard K of N (1 <= K <= N).
type Spec struct{ K, N int }

// Parse reads "k/n".
func Parse(s string) (Spec, error) {
	ks, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	k, err1 := strconv.Atoi(ks)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 1 || k > n {
		return Spec{}, fmt.Errorf("shard %q: want k/n with 1 <= k <= n, e.g. 2/3", s)
	}
	return Spec{K: k, N: n}, nil
}

func (s Spec) String() string { return fmt.Sprintf("%d/%d", s.K, s.N) }

// Item is one scenario to place: Key identifies it (file and name), Dur is
// its recorded duration (0: unknown).
type Item struct {
	Key string
	Dur time.Duration
}

// Select returns the indexes of items that belong to shard s, in the
// items' order. Unknown durations count as the median of the known ones
// (or 1 when none is known), so a new scenario does not pile onto one
// shard.
func Select(items []Item, s Spec) []int {
	durs := make([]time.Duration, 0, len(items))
	for _, it := range items {
		if it.Dur > 0 {
			durs = append(durs, it.Dur)
		}
	}
	fill := time.Duration(1)
	if len(durs) > 0 {
		slices.Sort(durs)
		fill = durs[len(durs)/2]
	}
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	weight := func(i int) time.Duration {
		if d := items[i].Dur; d > 0 {
			return d
		}
		return fill
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if wa, wb := weight(a), weight(b); wa != wb {
			return int(wb - wa) // longest first
		}
		return strings.Compare(items[a].Key, items[b].Key)
	})
	load := make([]time.Duration, s.N)
	mine := make([]bool, len(items))
	for _, i := range order {
		least := 0
		for j := 1; j < s.N; j++ {
			if load[j] < load[least] {
				least = j
			}
		}
		load[least] += weight(i)
		mine[i] = least == s.K-1
	}
	var out []int
	for i, m := range mine {
		if m {
			out = append(out, i)
		}
	}
	return out
}

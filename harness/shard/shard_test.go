package shard

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func items(n int, withDur bool) []Item {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]Item, n)
	for i := range out {
		out[i].Key = fmt.Sprintf("scenarios/f%02d.yaml\x00s%d", i, i)
		if withDur {
			out[i].Dur = time.Duration(100+r.IntN(5000)) * time.Millisecond
		}
	}
	return out
}

// TestEveryScenarioOnce: shards 1..n together hold every scenario exactly
// once, for any n, with and without durations.
func TestEveryScenarioOnce(t *testing.T) {
	for _, withDur := range []bool{false, true} {
		its := items(53, withDur)
		for n := 1; n <= 7; n++ {
			seen := make([]int, len(its))
			for k := 1; k <= n; k++ {
				for _, i := range Select(its, Spec{k, n}) {
					seen[i]++
				}
			}
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("n=%d durations=%v: item %d in %d shards", n, withDur, i, c)
				}
			}
		}
	}
}

// TestDeterministic: the split does not depend on the order the
// scenarios were found in.
func TestDeterministic(t *testing.T) {
	its := items(40, true)
	keys := func(its []Item, idx []int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, its[i].Key)
		}
		slices.Sort(out)
		return out
	}
	want := keys(its, Select(its, Spec{2, 3}))
	rev := slices.Clone(its)
	slices.Reverse(rev)
	if got := keys(rev, Select(rev, Spec{2, 3})); !slices.Equal(got, want) {
		t.Errorf("shard 2/3 changed with the input order")
	}
}

// TestBalancedByDuration: with durations, no shard takes much more time
// than an even share; by count, shard sizes differ by at most one.
func TestBalancedByDuration(t *testing.T) {
	its := items(60, true)
	var total time.Duration
	var longest time.Duration
	for _, it := range its {
		total += it.Dur
		longest = max(longest, it.Dur)
	}
	for k := 1; k <= 4; k++ {
		var sum time.Duration
		for _, i := range Select(its, Spec{k, 4}) {
			sum += its[i].Dur
		}
		if sum > total/4+longest {
			t.Errorf("shard %d/4 takes %v, an even share is %v", k, sum, total/4)
		}
	}
	plain := items(10, false)
	for k := 1; k <= 3; k++ {
		if n := len(Select(plain, Spec{k, 3})); n < 3 || n > 4 {
			t.Errorf("shard %d/3 has %d of 10", k, n)
		}
	}
}

func TestParse(t *testing.T) {
	if s, err := Parse("2/3"); err != nil || s != (Spec{2, 3}) {
		t.Errorf("2/3: %v %v", s, err)
	}
	for _, bad := range []string{"0/3", "4/3", "3", "a/b", "1/0", "-1/2"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

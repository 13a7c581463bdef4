package compress

import (
	"math"
	"slices"
	"testing"
)

func TestMagnitudeMasks(t *testing.T) {
	backend := goBackend(t)
	tc := testNets(t)["movnect"]
	store := randomStore(t, backend, tc.net, 1)
	z0, _, err := Sparsity(tc.net, store, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, opt := range []MagnitudeOptions{
		{Sparsity: 0.5}, {Sparsity: 0.5, Global: true}, {Sparsity: 0.9, Global: true, SkipDepthwise: true}, {Sparsity: 0}, {Sparsity: 1},
	} {
		masks, err := MagnitudeMasks(tc.net, store, opt)
		if err != nil {
			t.Fatal(err)
		}
		pruned, err := masks.Apply(store)
		if err != nil {
			t.Fatal(err)
		}
		var considered, zeroed int
		var maxZeroed, minKept float64 = 0, math.Inf(1)
		for path, keep := range masks {
			orig, _, err := readVariable(store, path)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := readVariable(pruned, path)
			if err != nil {
				t.Fatal(err)
			}
			layerZeroed := 0
			for i, k := range keep {
				a := math.Abs(float64(orig[i]))
				if k {
					minKept = min(minKept, a)
					if got[i] != orig[i] {
						t.Fatalf("%s[%d]: kept weight changed", path, i)
					}
				} else {
					layerZeroed++
					maxZeroed = max(maxZeroed, a)
					if got[i] != 0 {
						t.Fatalf("%s[%d]: masked weight is %g", path, i, got[i])
					}
				}
			}
			if !opt.Global && layerZeroed != int(opt.Sparsity*float64(len(keep))) {
				t.Errorf("%+v: %s: %d of %d zeroed", opt, path, layerZeroed, len(keep))
			}
			considered += len(keep)
			zeroed += layerZeroed
		}
		if opt.Global {
			if zeroed != int(opt.Sparsity*float64(considered)) {
				t.Errorf("%+v: %d of %d zeroed", opt, zeroed, considered)
			}
			if zeroed > 0 && zeroed < considered && maxZeroed > minKept {
				t.Errorf("%+v: zeroed a weight of magnitude %g but kept one of %g", opt, maxZeroed, minKept)
			}
		}
		z, total, err := Sparsity(tc.net, pruned, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v: %d of %d weights zero (%.1f%%)", opt, z, total, 100*float64(z)/float64(total))
		if z < int64(zeroed) {
			t.Errorf("%+v: Sparsity counts %d zeros, masks zeroed %d", opt, z, zeroed)
		}
		if z1, _, _ := Sparsity(tc.net, store, ""); z1 != z0 {
			t.Errorf("%+v: the original store changed: %d zeros, had %d", opt, z1, z0)
		}
		inPlace, err := cloneStore(store)
		if err != nil {
			t.Fatal(err)
		}
		if err := masks.ApplyInPlace(inPlace); err != nil {
			t.Fatal(err)
		}
		if zi, _, _ := Sparsity(tc.net, inPlace, ""); zi != z {
			t.Errorf("%+v: in place %d zeros, copy %d", opt, zi, z)
		}
	}
	if _, err := MagnitudeMasks(tc.net, store, MagnitudeOptions{Sparsity: 1.5}); err == nil {
		t.Error("sparsity 1.5: no error")
	}
	if _, err := MagnitudeMasks(tc.net, store, MagnitudeOptions{Sparsity: math.NaN()}); err == nil {
		t.Error("sparsity NaN: no error")
	}
}

// TestThresholdTies checks that equal magnitudes are zeroed in order until the count is exact, across
// tensors too.
func TestThresholdTies(t *testing.T) {
	for _, tc := range []struct {
		w    [][]float32
		k    int
		want [][]bool
	}{
		{[][]float32{{1, -1, 1, 1}}, 2, [][]bool{{false, false, true, true}}},
		{[][]float32{{2, 0.5, -0.5}, {0.5, 3}}, 2, [][]bool{{true, false, false}, {true, true}}},
		{[][]float32{{2, 0.5, -0.5}, {0.5, 3}}, 3, [][]bool{{true, false, false}, {false, true}}},
		{[][]float32{{0, 0}, {5}}, 0, [][]bool{{true, true}, {true}}},
		{[][]float32{{4, 3}, {5}}, 3, [][]bool{{false, false}, {false}}},
	} {
		var all []float32
		for _, w := range tc.w {
			all = appendMagnitudes(all, w)
		}
		th, ties := threshold(all, tc.k)
		for i, w := range tc.w {
			keep := make([]bool, len(w))
			for j := range keep {
				keep[j] = true
			}
			ties = maskBelow(keep, w, th, ties)
			if !slices.Equal(keep, tc.want[i]) {
				t.Errorf("%v k=%d: tensor %d keeps %v, want %v", tc.w, tc.k, i, keep, tc.want[i])
			}
		}
	}
}

func TestScheduleSparsityAt(t *testing.T) {
	s := Schedule{Initial: 0.1, Final: 0.8, Begin: 100, End: 1100, Every: 100}
	for _, tc := range []struct {
		step int
		want float64
	}{
		{0, 0}, {99, 0}, {100, 0.1}, {150, 0.1}, {600, 0.8 - 0.7*0.125}, {1099, 0.8 - 0.7*0.001}, {1100, 0.8}, {5000, 0.8},
	} {
		if got := s.SparsityAt(tc.step); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("SparsityAt(%d) = %g, want %g", tc.step, got, tc.want)
		}
	}
	prev := 0.0
	for step := 0; step < 1200; step++ {
		v := s.SparsityAt(step)
		if v < prev {
			t.Fatalf("sparsity decreases at step %d: %g < %g", step, v, prev)
		}
		prev = v
	}
}

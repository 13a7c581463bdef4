package compress

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/posedistill/posedistill/nets"
	"gonum.org/v1/gonum/mat"
)

// TestLowRankFullRank: at full rank every factorized network computes the original function.
func TestLowRankFullRank(t *testing.T) {
	backend := goBackend(t)
	for name, tc := range testNets(t) {
		t.Run(name, func(t *testing.T) {
			store := randomStore(t, backend, tc.net, 1)
			images := randomImages(2, 1, tc.h, tc.w, 3)
			want := predict(t, backend, tc.net, store, images)
			lr, lrStore, report, err := LowRank(context.Background(), tc.net, store, LowRankOptions{Rank: math.MaxInt32, KeepUnprofitable: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(report) == 0 || len(lr.Layers) != len(tc.net.Layers)+len(report) {
				t.Fatalf("%d layers factorized, %d → %d layers", len(report), len(tc.net.Layers), len(lr.Layers))
			}
			got := predict(t, backend, lr, lrStore, images)
			if d := relDiff(got, want); d > 1e-5 {
				t.Errorf("full-rank factorization differs by %.3g (relative)", d)
			} else {
				t.Logf("%d layers at full rank: max relative difference %.2g", len(report), d)
			}
		})
	}
}

// TestLowRankErrorFallsWithRank factorizes one 1×1 convolution of MoVNect at increasing ranks: the
// weights' Frobenius error strictly falls (Eckart–Young) down to rounding at full rank. (The network's
// output error, logged, usually falls too, but the ReLUs after it do not guarantee it.)
func TestLowRankErrorFallsWithRank(t *testing.T) {
	backend := goBackend(t)
	tc := testNets(t)["movnect"]
	store := randomStore(t, backend, tc.net, 4)
	images := randomImages(3, 2, tc.h, tc.w, 3)
	want := predict(t, backend, tc.net, store, images)
	const layer = "block_15_pw"
	orig, dims, err := readVariable(store, pathOf("", layer, "weights"))
	if err != nil {
		t.Fatal(err)
	}
	rows, cols := dims[0]*dims[1]*dims[2], dims[3]
	full := min(rows, cols)
	prevW := math.Inf(1)
	for _, r := range []int{1, 2, 4, 8, full} {
		lr, lrStore, report, err := LowRank(context.Background(), tc.net, store, LowRankOptions{Rank: r, Layers: []string{layer}, KeepUnprofitable: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(report) != 1 || report[0].Rank != r {
			t.Fatalf("rank %d: report %+v", r, report)
		}
		u, _, _ := readVariable(lrStore, pathOf("", layer+"_lr", "weights"))
		v, _, _ := readVariable(lrStore, pathOf("", layer, "weights"))
		werr := 0.0
		for i := range rows {
			for j := range cols {
				s := 0.0
				for k := range r {
					s += float64(u[i*r+k]) * float64(v[k*cols+j])
				}
				d := s - float64(orig[i*cols+j])
				werr += d * d
			}
		}
		werr = math.Sqrt(werr)
		outErr := relDiff(predict(t, backend, lr, lrStore, images), want)
		t.Logf("rank %d/%d: energy %.3f, weight error %.4g, output error %.4g", r, full, report[0].Energy, werr, outErr)
		if werr >= prevW && r != full || werr > 1e-4 && r == full {
			t.Errorf("rank %d: weight error %g after %g", r, werr, prevW)
		}
		prevW = werr
	}
}

// TestLowRankOutputErrorFalls factorizes a linear 3×3 convolution (the head of a one-layer net) on
// white-noise images, whose im2col features are uncorrelated: the RMS output error then tracks the
// weights' Frobenius error and falls strictly with the rank.
func TestLowRankOutputErrorFalls(t *testing.T) {
	backend := goBackend(t)
	net := &nets.Net{Name: "linear", InputChannels: 3, InputMultiple: 1, Joints: 16,
		Layers: []nets.Layer{{Name: "heatmaps", Op: nets.OpConv, Inputs: []string{nets.Input}, Out: 16, Kernel: 3, Bias: true}},
		Heads:  nets.Heads{Heatmaps: "heatmaps"}}
	store := randomStore(t, backend, net, 6)
	images := randomImages(7, 4, 32, 32, 3)
	want := predict(t, backend, net, store, images)
	prev := math.Inf(1)
	for r := 1; r <= 16; r++ {
		lr, lrStore, _, err := LowRank(context.Background(), net, store, LowRankOptions{Rank: r, KeepUnprofitable: true})
		if err != nil {
			t.Fatal(err)
		}
		got := predict(t, backend, lr, lrStore, images)
		var se, n float64
		for i := range want[0] {
			d := float64(got[0][i] - want[0][i])
			se += d * d
			n++
		}
		rms := math.Sqrt(se / n)
		if rms >= prev {
			t.Errorf("rank %d: RMS output error %g, not below rank %d's %g", r, rms, r-1, prev)
		}
		if r == 16 && rms > 1e-5 {
			t.Errorf("full rank: RMS output error %g", rms)
		}
		prev = rms
	}
}

// TestLowRankEnergy checks the energy rule and that unprofitable layers are left alone.
func TestLowRankEnergy(t *testing.T) {
	backend := goBackend(t)
	tc := testNets(t)["simplebaseline-18"]
	store := randomStore(t, backend, tc.net, 2)
	lr, _, report, err := LowRank(context.Background(), tc.net, store, LowRankOptions{Energy: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range report {
		if r.Energy < 0.5 || r.Rank >= r.Full {
			t.Errorf("%+v: keeps less than half the energy or is not reduced", r)
		}
	}
	f0, _ := tc.net.FLOPs(tc.h, tc.w)
	f1, _ := lr.FLOPs(tc.h, tc.w)
	t.Logf("energy 0.5: %d layers factorized, params %d → %d, FLOPs %d → %d", len(report), tc.net.Params(), lr.Params(), f0, f1)
	if len(report) == 0 || lr.Params() >= tc.net.Params() {
		t.Errorf("energy 0.5 factorized %d layers, params %d → %d", len(report), tc.net.Params(), lr.Params())
	}
	for _, opt := range []LowRankOptions{{}, {Rank: -1}, {Energy: 1.5}, {Rank: 2, Layers: []string{"nope"}}, {Rank: 2, Scope: "x"}} {
		if _, _, _, err := LowRank(context.Background(), tc.net, store, opt); err == nil {
			t.Errorf("%+v: no error", opt)
		}
	}
	mv := testNets(t)["movnect"]
	mvStore := randomStore(t, backend, mv.net, 2)
	dw := ""
	for _, l := range mv.net.Layers {
		if l.Op == nets.OpConv && l.GroupCount() > 1 {
			dw = l.Name
			break
		}
	}
	if _, _, _, err := LowRank(context.Background(), mv.net, mvStore, LowRankOptions{Rank: 1, Layers: []string{dw}}); err == nil {
		t.Errorf("factorizing depthwise %s: no error", dw)
	}
}

func TestLowRankCancel(t *testing.T) {
	backend := goBackend(t)
	tc := testNets(t)["movnect"]
	store := randomStore(t, backend, tc.net, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, _, err := LowRank(ctx, tc.net, store, LowRankOptions{Rank: 2}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: err = %v", err)
	}
}

func TestFactorizeMatrix(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	// A rank-2 matrix is recovered exactly at rank 2.
	m, n := 7, 5
	a := make([]float32, m*n)
	for k := range 2 {
		x, y := make([]float32, m), make([]float32, n)
		for i := range x {
			x[i] = r.Float32() - 0.5
		}
		for j := range y {
			y[j] = r.Float32() - 0.5
		}
		for i := range m {
			for j := range n {
				a[i*n+j] += x[i] * y[j] * float32(k+1)
			}
		}
	}
	f, err := FactorizeMatrix(a, m, n, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		for j := range n {
			s := float32(0)
			for k := range 2 {
				s += f.U[i*2+k] * f.V[k*n+j]
			}
			if math.Abs(float64(s-a[i*n+j])) > 1e-6 {
				t.Fatalf("(%d, %d): %g, want %g", i, j, s, a[i*n+j])
			}
		}
	}
	if f.Singular[2] > 1e-6 || RankForEnergy(f.Singular, 1-1e-9) != 2 || RankForEnergy(f.Singular, 0.01) != 1 {
		t.Errorf("singular values %v", f.Singular)
	}
	for _, tc := range []struct {
		a       []float32
		m, n, r int
	}{{a, m, n, 0}, {a, m, n, 6}, {a, m, n + 1, 2}, {[]float32{float32(math.NaN())}, 1, 1, 1}} {
		if _, err := FactorizeMatrix(tc.a, tc.m, tc.n, tc.r); err == nil {
			t.Errorf("%d×%d rank %d: no error", tc.m, tc.n, tc.r)
		}
	}
}

// TestDecomposeMatchesSVD compares the Gram-matrix decomposition with gonum's direct SVD on random
// tall and wide matrices: the same singular values, and a rank-r error of √(Σ_{i>r} σᵢ²) (Eckart–Young).
func TestDecomposeMatchesSVD(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, size := range [][2]int{{60, 20}, {20, 45}, {33, 33}} {
		m, n := size[0], size[1]
		a := make([]float32, m*n)
		data := make([]float64, m*n)
		for i := range a {
			a[i] = float32(r.NormFloat64())
			data[i] = float64(a[i])
		}
		var svd mat.SVD
		if !svd.Factorize(mat.NewDense(m, n, data), mat.SVDNone) {
			t.Fatal("gonum SVD failed")
		}
		want := svd.Values(nil)
		d, err := decompose(a, m, n)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if math.Abs(d.sigma[i]-want[i]) > 1e-9*want[0] {
				t.Fatalf("%d×%d: σ%d = %g, gonum SVD %g", m, n, i, d.sigma[i], want[i])
			}
		}
		for _, rank := range []int{1, 5, min(m, n)} {
			u, v := d.factors(rank)
			var se, tail float64
			for i := range m {
				for j := range n {
					s := 0.0
					for k := range rank {
						s += float64(u[i*rank+k]) * float64(v[k*n+j])
					}
					se += (s - data[i*n+j]) * (s - data[i*n+j])
				}
			}
			for _, s := range want[rank:] {
				tail += s * s
			}
			if math.Abs(math.Sqrt(se)-math.Sqrt(tail)) > 1e-4*want[0] {
				t.Errorf("%d×%d rank %d: error %g, Eckart–Young %g", m, n, rank, math.Sqrt(se), math.Sqrt(tail))
			}
		}
	}
}

package compress

import (
	"context"
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/nets/layers"
)

// Factorization is a rank-r SVD factorization A ≈ U·V of an m×n matrix (row-major), with the
// singular values split evenly: U = U_r·√S_r (m×r) and V = √S_r·V_rᵀ (r×n).
type Factorization struct {
	U, V     []float32
	M, N, R  int
	Singular []float64 // all min(m, n) singular values, descending
}

// FactorizeMatrix returns the rank-r truncated SVD factorization of the m×n row-major matrix a: the
// best rank-r approximation in the Frobenius norm (Eckart–Young). A dense layer's [in, out] weight
// matrix factorizes into two dense layers [in, r] and [r, out] with it.
func FactorizeMatrix(a []float32, m, n, r int) (Factorization, error) {
	d, err := decompose(a, m, n)
	if err != nil {
		return Factorization{}, err
	}
	return d.factorization(r)
}

// factorization returns the rank-r factors of the decomposed matrix.
func (d *decomposition) factorization(r int) (Factorization, error) {
	if r < 1 || r > min(d.m, d.n) {
		return Factorization{}, fmt.Errorf("factorize: rank %d outside [1, %d]", r, min(d.m, d.n))
	}
	u, v := d.factors(r)
	return Factorization{U: u, V: v, M: d.m, N: d.n, R: r, Singular: d.sigma}, nil
}

// RankForEnergy returns the smallest rank whose singular values keep at least the fraction energy of
// the total energy Σσ² (at least 1).
func RankForEnergy(singular []float64, energy float64) int {
	total := 0.0
	for _, s := range singular {
		total += s * s
	}
	acc := 0.0
	for i, s := range singular {
		acc += s * s
		if acc >= energy*total {
			return i + 1
		}
	}
	return max(1, len(singular))
}

// LowRankOptions configures LowRank.
type LowRankOptions struct {
	// Scope is the store scope the network was built under (empty: the root).
	Scope string
	// Rank is the rank of every factorized layer (capped at its full rank); 0 selects it by Energy.
	Rank int
	// Energy is the fraction of Σσ² each layer's factorization keeps, in (0, 1], when Rank is 0.
	Energy float64
	// Layers restricts the factorization to these layers; nil means every dense (one-group) conv.
	Layers []string
	// KeepUnprofitable factorizes a layer even when the two factors hold as many weights as the
	// original (at or near full rank); by default such layers are left as they are.
	KeepUnprofitable bool
}

// LowRankLayer reports how one layer was factorized.
type LowRankLayer struct {
	Name       string
	Rank, Full int
	Energy     float64 // fraction of Σσ² kept
}

// LowRank replaces each selected k×k convolution (one group) W [k, k, in, out] by a k×k convolution to
// r channels (same stride, no bias, batch norm or activation) named "<name>_lr", followed by a 1×1
// convolution from r channels that keeps the layer's name, bias, batch norm and activation — so those
// variables keep their store paths. The weights are the truncated SVD of W reshaped to [k·k·in, out]:
// at full rank the network computes the same function (up to rounding), and the error of each layer's
// weights falls with the rank. ctx cancels the work between layers.
func LowRank(ctx context.Context, net *nets.Net, store *model.Store, opt LowRankOptions) (*nets.Net, *model.Store, []LowRankLayer, error) {
	if opt.Rank < 0 || (opt.Rank == 0 && !(opt.Energy > 0 && opt.Energy <= 1)) {
		return nil, nil, nil, fmt.Errorf("low rank %s: need rank ≥ 1 or energy in (0, 1], got %d and %g", net.Name, opt.Rank, opt.Energy)
	}
	m := max(1, net.InputMultiple)
	shapes, err := net.Shapes(8*m, 8*m)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("low rank: %w", err)
	}
	names := map[string]bool{nets.Input: true}
	for _, l := range net.Layers {
		names[l.Name] = true
	}
	for _, name := range opt.Layers {
		if !names[name] || name == nets.Input {
			return nil, nil, nil, fmt.Errorf("low rank %s: no layer %q", net.Name, name)
		}
	}
	out := *net
	out.Layers = nil
	var params []param
	var report []LowRankLayer
	for i := range net.Layers {
		l := net.Layers[i]
		selected := opt.Layers == nil || slices.Contains(opt.Layers, l.Name)
		if !selected || l.Op != nets.OpConv || l.GroupCount() != 1 {
			if selected && opt.Layers != nil {
				return nil, nil, nil, fmt.Errorf("low rank %s: layer %s is not a one-group convolution", net.Name, l.Name)
			}
			out.Layers = append(out.Layers, l)
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, nil, fmt.Errorf("low rank %s: %w", net.Name, err)
		}
		k, in := l.KernelSize(), shapes[l.Inputs[0]].C
		w, err := readParam(store, opt.Scope, l.Name, "weights")
		if err != nil {
			return nil, nil, nil, fmt.Errorf("low rank %s: %w", net.Name, err)
		}
		rows := k * k * in
		full := min(rows, l.Out)
		d, err := decompose(w.data, rows, l.Out)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("low rank %s: layer %s: %w", net.Name, l.Name, err)
		}
		r := min(opt.Rank, full)
		if opt.Rank == 0 {
			r = RankForEnergy(d.sigma, opt.Energy)
		}
		f, err := d.factorization(r)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("low rank %s: layer %s: %w", net.Name, l.Name, err)
		}
		if !opt.KeepUnprofitable && r*(rows+l.Out) >= rows*l.Out {
			out.Layers = append(out.Layers, l)
			continue
		}
		first := l.Name + "_lr"
		if names[first] {
			return nil, nil, nil, fmt.Errorf("low rank %s: layer name %s is taken", net.Name, first)
		}
		names[first] = true
		out.Layers = append(out.Layers,
			nets.Layer{Name: first, Op: nets.OpConv, Inputs: l.Inputs, Out: r, Kernel: k, Stride: l.Stride, Pad: l.Pad, Act: layers.Linear},
			nets.Layer{Name: l.Name, Op: nets.OpConv, Inputs: []string{first}, Out: l.Out, Kernel: 1,
				BN: l.BN, Bias: l.Bias, Act: l.Act})
		params = append(params,
			param{path: pathOf(opt.Scope, first, "weights"), data: f.U, dims: []int{k, k, in, r}},
			param{path: w.path, data: f.V, dims: []int{1, 1, r, l.Out}})
		kept, total := 0.0, 0.0
		for j, s := range f.Singular {
			total += s * s
			if j < r {
				kept += s * s
			}
		}
		report = append(report, LowRankLayer{Name: l.Name, Rank: r, Full: full, Energy: kept / max(total, 1e-300)})
	}
	ns, err := cloneStore(store)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("low rank %s: %w", net.Name, err)
	}
	for _, p := range params {
		if err := setParam(ns, p); err != nil {
			return nil, nil, nil, fmt.Errorf("low rank %s: %w", net.Name, err)
		}
	}
	if _, err := out.Shapes(8*m, 8*m); err != nil {
		return nil, nil, nil, fmt.Errorf("low rank %s: internal error: %w", net.Name, err)
	}
	return &out, ns, report, nil
}

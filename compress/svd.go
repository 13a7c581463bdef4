package compress

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// decomposition is the singular value decomposition of an m×n matrix A computed through the
// eigenvectors of its smaller Gram matrix (AᵀA when m ≥ n, AAᵀ otherwise): one m·min(m,n)² product
// and a small symmetric eigenproblem, several times faster than a direct SVD of the tall im2col
// matrices of convolutions. The factors are formed as A·V_r (or U_rᵀ·A), so their product is the
// projection of A onto the top r singular vectors even where small singular values are imprecise.
type decomposition struct {
	m, n  int
	a     *mat.Dense
	right bool       // vecs holds right singular vectors (n×k) when true, left ones (m×k) otherwise
	vecs  *mat.Dense // columns in order of descending singular value
	sigma []float64  // descending
}

// decompose computes the decomposition of the row-major m×n matrix a.
func decompose(a []float32, m, n int) (*decomposition, error) {
	if m < 1 || n < 1 || len(a) != m*n {
		return nil, fmt.Errorf("factorize: %d values for a %d×%d matrix", len(a), m, n)
	}
	data := make([]float64, len(a))
	for i, v := range a {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("factorize: non-finite value at %d", i)
		}
		data[i] = float64(v)
	}
	d := &decomposition{m: m, n: n, a: mat.NewDense(m, n, data), right: m >= n}
	k := min(m, n)
	gram := mat.NewSymDense(k, nil)
	if d.right {
		gram.SymOuterK(1, d.a.T()) // AᵀA
	} else {
		gram.SymOuterK(1, d.a) // AAᵀ
	}
	var eig mat.EigenSym
	if !eig.Factorize(gram, true) {
		return nil, fmt.Errorf("factorize: eigendecomposition of a %d×%d Gram matrix failed", k, k)
	}
	values := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	order := make([]int, k)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return values[order[i]] > values[order[j]] })
	d.vecs = mat.NewDense(k, k, nil)
	d.sigma = make([]float64, k)
	for c, src := range order {
		d.sigma[c] = math.Sqrt(max(values[src], 0))
		for r := range k {
			d.vecs.Set(r, c, vecs.At(r, src))
		}
	}
	return d, nil
}

// factors returns U (m×r) and V (r×n), row-major, with U·V the best rank-r approximation of A and the
// singular values split evenly (U = U_r·√S_r, V = √S_r·V_rᵀ) where they are not negligible.
func (d *decomposition) factors(r int) (u, v []float32) {
	k := min(d.m, d.n)
	basis := d.vecs.Slice(0, k, 0, r) // k×r
	// Balance by √σ; directions with negligible σ keep scale 1 (their product is still exact).
	scale := make([]float64, r)
	for c := range r {
		scale[c] = 1
		if d.sigma[c] > 1e-6*d.sigma[0] {
			scale[c] = math.Sqrt(d.sigma[c])
		}
	}
	var proj mat.Dense
	u, v = make([]float32, d.m*r), make([]float32, r*d.n)
	if d.right {
		proj.Mul(d.a, basis) // m×r: A·V_r = U_r·S_r
		for i := range d.m {
			for c := range r {
				u[i*r+c] = float32(proj.At(i, c) / scale[c])
			}
		}
		for c := range r {
			for j := range d.n {
				v[c*d.n+j] = float32(basis.At(j, c) * scale[c])
			}
		}
		return u, v
	}
	proj.Mul(basis.T(), d.a) // r×n: U_rᵀ·A = S_r·V_rᵀ
	for i := range d.m {
		for c := range r {
			u[i*r+c] = float32(basis.At(i, c) * scale[c])
		}
	}
	for c := range r {
		for j := range d.n {
			v[c*d.n+j] = float32(proj.At(c, j) / scale[c])
		}
	}
	return u, v
}

package passes_test

import (
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	_ "github.com/gomlx/compute/internal/gobackend/ops"
	_ "github.com/gomlx/compute/internal/gobackend/passes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/compute/support/testutil"
)

// TestIdentityElision builds a graph full of identities (Identity, no-op Reshape, Slice, Transpose,
// BroadcastInDim, Reverse, a chain of Reshapes) whose operand has other consumers, checks that the
// consumers read the operand directly after compilation, and that the results are those of the
// unoptimized graph, with the parameter donated and not.
func TestIdentityElision(t *testing.T) {
	backend := compute.MustNew()
	defer backend.Finalize()
	must := func(v compute.Value, err error) compute.Value {
		t.Helper()
		if err != nil {
			t.Fatalf("%+v", err)
		}
		return v
	}
	for _, donate := range []bool{false, true} {
		builder := backend.Builder("IdentityElision").(*gobackend.Builder)
		main := builder.Main().(*gobackend.Function)
		shape := shapes.Make(dtypes.Float32, 2, 3)
		x := must(main.Parameter("x", shape, nil))
		y := must(main.Neg(x)) // y has several consumers: no identity of it owns it.
		id := must(main.Identity(y))
		reshaped := must(main.Reshape(must(main.Identity(id)), 2, 3))
		sliced := must(main.Slice(y, []int{0, 0}, []int{2, 3}, []int{1, 1}))
		transposed := must(main.Transpose(y, 0, 1))
		broadcast := must(main.BroadcastInDim(y, shape, []int{0, 1}))
		reversed := must(main.Reverse(y))
		chain := must(main.Reshape(must(main.Reshape(y, 3, 2)), 6))        // Reshape(Reshape(y)) -> Reshape(y)
		swapped := must(main.Transpose(must(main.Reshape(y, 3, 2)), 1, 0)) // not an identity
		sum := must(main.Add(reshaped, sliced))
		sum = must(main.Add(sum, transposed))
		sum = must(main.Add(sum, broadcast))
		sum = must(main.Add(sum, reversed))
		sum = must(main.Add(sum, must(main.Reshape(chain, 2, 3))))
		sum = must(main.Add(sum, must(main.Reshape(swapped, 2, 3))))
		kept := must(main.Identity(y)) // an output: kept.
		if err := main.Return([]compute.Value{sum, kept, y}, nil); err != nil {
			t.Fatal(err)
		}
		exec, err := builder.Compile()
		if err != nil {
			t.Fatalf("%+v", err)
		}
		yNode := y.(*gobackend.Node)
		for _, v := range []compute.Value{reshaped, sliced, transposed, broadcast, reversed} {
			if n := v.(*gobackend.Node); n.Inputs[0] != yNode {
				t.Errorf("donate=%v: %s reads %s, not the operand", donate, n.OpType, n.Inputs[0].OpType)
			}
		}
		if n := chain.(*gobackend.Node); n.Inputs[0] != yNode {
			t.Errorf("donate=%v: the reshape chain was not shortened", donate)
		}
		if n := swapped.(*gobackend.Node); n.Inputs[0].OpType != compute.OpTypeReshape {
			t.Errorf("donate=%v: a transpose of a reshape lost its reshape", donate)
		}
		if kept.(*gobackend.Node).OpType != compute.OpTypeIdentity {
			t.Errorf("donate=%v: an output identity was removed", donate)
		}

		data := []float32{1, 2, 3, 4, 5, 6}
		buf, err := backend.BufferFromFlatData(0, data, shape)
		if err != nil {
			t.Fatal(err)
		}
		outputs, err := exec.Execute([]compute.Buffer{buf}, []bool{donate}, 0)
		if err != nil {
			t.Fatalf("%+v", err)
		}
		// Five copies of -x, -x again (chain), -x reversed (axes none: identity) ... computed by hand:
		// reshaped + sliced + transposed + broadcast + reversed + chain = 6·(-x); swapped is -x viewed
		// [3,2], transposed to [2,3] and read back as [2,3] in row-major order.
		swappedWant := []float32{-1, -3, -5, -2, -4, -6}
		want := make([]float32, 6)
		for i := range want {
			want[i] = -6*data[i] + swappedWant[i]
		}
		if ok, diff := testutil.IsEqual(want, outputs[0].(*gobackend.Buffer).Flat.([]float32)); !ok {
			t.Errorf("donate=%v: sum:\n%s", donate, diff)
		}
		neg := []float32{-1, -2, -3, -4, -5, -6}
		for i := 1; i < 3; i++ {
			if ok, diff := testutil.IsEqual(neg, outputs[i].(*gobackend.Buffer).Flat.([]float32)); !ok {
				t.Errorf("donate=%v: output %d:\n%s", donate, i, diff)
			}
		}
	}
}

package tfjs

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// binaryFn is an element-wise operation of two inputs of one type, with NumPy broadcasting.
type binaryFn struct {
	host  func(x, y float64, dt DType) (float64, error)
	graph func(x, y *graph.Node) *graph.Node
	cmp   bool // the result is bool
}

var errIntDivZero = fmt.Errorf("integer division by zero")

// binaryOps are the element-wise operations of two inputs.
var binaryOps = map[string]binaryFn{
	"AddV2": {func(x, y float64, _ DType) (float64, error) { return x + y, nil }, graph.Add, false},
	"Add":   {func(x, y float64, _ DType) (float64, error) { return x + y, nil }, graph.Add, false},
	"Sub":   {func(x, y float64, _ DType) (float64, error) { return x - y, nil }, graph.Sub, false},
	"Mul":   {func(x, y float64, _ DType) (float64, error) { return x * y, nil }, graph.Mul, false},
	"RealDiv": {func(x, y float64, dt DType) (float64, error) {
		if dt == Int32 {
			if y == 0 {
				return 0, errIntDivZero
			}
			return math.Floor(x / y), nil
		}
		return float64(float32(x) / float32(y)), nil
	}, divide, false},
	"FloorDiv": {func(x, y float64, dt DType) (float64, error) {
		if dt == Int32 && y == 0 {
			return 0, errIntDivZero
		}
		return math.Floor(x / y), nil
	}, floorDiv, false},
	"FloorMod": {func(x, y float64, dt DType) (float64, error) {
		if dt == Int32 && y == 0 {
			return 0, errIntDivZero
		}
		return x - math.Floor(x/y)*y, nil
	}, func(x, y *graph.Node) *graph.Node { return graph.Sub(x, graph.Mul(floorDiv(x, y), y)) }, false},
	"Maximum": {func(x, y float64, _ DType) (float64, error) { return math.Max(x, y), nil }, graph.Max, false},
	"Minimum": {func(x, y float64, _ DType) (float64, error) { return math.Min(x, y), nil }, graph.Min, false},
	"Pow":     {func(x, y float64, _ DType) (float64, error) { return math.Pow(x, y), nil }, graph.Pow, false},
	"SquaredDifference": {func(x, y float64, _ DType) (float64, error) { return (x - y) * (x - y), nil },
		func(x, y *graph.Node) *graph.Node { d := graph.Sub(x, y); return graph.Mul(d, d) }, false},
	"Less":         {cmp(func(x, y float64) bool { return x < y }), graph.LessThan, true},
	"LessEqual":    {cmp(func(x, y float64) bool { return x <= y }), graph.LessOrEqual, true},
	"Greater":      {cmp(func(x, y float64) bool { return x > y }), graph.GreaterThan, true},
	"GreaterEqual": {cmp(func(x, y float64) bool { return x >= y }), graph.GreaterOrEqual, true},
	"Equal":        {cmp(func(x, y float64) bool { return x == y }), graph.Equal, true},
	"NotEqual":     {cmp(func(x, y float64) bool { return x != y }), graph.NotEqual, true},
	"LogicalAnd":   {cmp(func(x, y float64) bool { return x != 0 && y != 0 }), graph.LogicalAnd, true},
	"LogicalOr":    {cmp(func(x, y float64) bool { return x != 0 || y != 0 }), graph.LogicalOr, true},
}

func cmp(f func(x, y float64) bool) func(x, y float64, _ DType) (float64, error) {
	return func(x, y float64, _ DType) (float64, error) {
		if f(x, y) {
			return 1, nil
		}
		return 0, nil
	}
}

// divide is RealDiv: a float division, or TF.js's floor division of integers.
func divide(x, y *graph.Node) *graph.Node {
	if x.DType().IsInt() {
		return floorDiv(x, y)
	}
	return graph.Div(x, y)
}

// floorDiv divides rounding towards −∞ (GoMLX's integer division truncates towards zero).
func floorDiv(x, y *graph.Node) *graph.Node {
	if !x.DType().IsInt() {
		return graph.Floor(graph.Div(x, y))
	}
	q := graph.Div(x, y)
	// q − 1 where the remainder is non-zero and the operands' signs differ.
	r := graph.Sub(x, graph.Mul(q, y))
	zero := graph.ScalarZero(x.Graph(), x.DType())
	neg := func(v *graph.Node) *graph.Node { return graph.ConvertDType(graph.LessThan(v, zero), x.DType()) }
	fix := graph.LogicalAnd(graph.NotEqual(r, zero), graph.NotEqual(neg(x), neg(y)))
	return graph.Sub(q, graph.ConvertDType(fix, x.DType()))
}

// binaryOp translates an element-wise operation of two inputs.
func binaryOp(f binaryFn) func(*builder, *Node, []value) ([]value, error) {
	return func(b *builder, _ *Node, in []value) ([]value, error) {
		x, y := in[0], in[1]
		if x.dtype() != y.dtype() {
			return nil, fmt.Errorf("inputs are %s and %s", x.dtype(), y.dtype())
		}
		dt := x.dtype()
		if x.h != nil && y.h != nil {
			outDT := dt
			if f.cmp {
				outDT = Bool
			}
			t, err := hostBinary(x.h, y.h, outDT, func(a, c float64) (float64, error) { return f.host(a, c, dt) })
			if err != nil {
				return nil, err
			}
			return one(value{h: t}), nil
		}
		shape, err := broadcastShapes(x.shape(), y.shape())
		if err != nil {
			return nil, err
		}
		xn, yn := b.node(x), b.node(y)
		// A scalar broadcasts by itself; other shapes are broadcast explicitly.
		if len(x.shape()) != 0 {
			xn = broadcastTo(xn, shape)
		}
		if len(y.shape()) != 0 {
			yn = broadcastTo(yn, shape)
		}
		return one(value{n: f.graph(xn, yn)}), nil
	}
}

// unaryFn is an element-wise operation of one input.
type unaryFn struct {
	host  func(x float64, dt DType) float64
	graph func(x *graph.Node) *graph.Node
}

var unaryOps = map[string]unaryFn{
	"Abs":        {func(x float64, _ DType) float64 { return math.Abs(x) }, graph.Abs},
	"Neg":        {func(x float64, _ DType) float64 { return -x }, graph.Neg},
	"Sqrt":       {func(x float64, _ DType) float64 { return math.Sqrt(x) }, graph.Sqrt},
	"Rsqrt":      {func(x float64, _ DType) float64 { return 1 / math.Sqrt(x) }, graph.Rsqrt},
	"Exp":        {func(x float64, _ DType) float64 { return math.Exp(x) }, graph.Exp},
	"Log":        {func(x float64, _ DType) float64 { return math.Log(x) }, graph.Log},
	"Floor":      {func(x float64, _ DType) float64 { return math.Floor(x) }, graph.Floor},
	"Square":     {func(x float64, _ DType) float64 { return x * x }, func(x *graph.Node) *graph.Node { return graph.Mul(x, x) }},
	"Reciprocal": {func(x float64, _ DType) float64 { return 1 / x }, graph.Reciprocal},
	"Sigmoid":    {func(x float64, _ DType) float64 { return 1 / (1 + math.Exp(-x)) }, graph.Sigmoid},
	"Tanh":       {func(x float64, _ DType) float64 { return math.Tanh(x) }, graph.Tanh},
	"Relu":       {func(x float64, _ DType) float64 { return math.Max(x, 0) }, relu},
	"Relu6":      {func(x float64, _ DType) float64 { return math.Min(math.Max(x, 0), 6) }, relu6},
	"LogicalNot": {func(x float64, _ DType) float64 {
		if x == 0 {
			return 1
		}
		return 0
	}, graph.LogicalNot},
}

func relu(x *graph.Node) *graph.Node  { return graph.MaxScalar(x, 0) }
func relu6(x *graph.Node) *graph.Node { return graph.ClipScalar(x, 0, 6) }

// unaryOp translates an element-wise operation of one input.
func unaryOp(f unaryFn) func(*builder, *Node, []value) ([]value, error) {
	return func(_ *builder, n *Node, in []value) ([]value, error) {
		x := in[0]
		if (n.Op == "LogicalNot") != (x.dtype() == Bool) {
			return nil, fmt.Errorf("input is %s", x.dtype())
		}
		if x.h != nil {
			out := &Tensor{DType: x.h.DType, Shape: x.h.Shape, Values: make([]float64, len(x.h.Values))}
			for i, v := range x.h.Values {
				out.Values[i] = round(out.DType, f.host(v, out.DType))
			}
			return one(value{h: out}), nil
		}
		if x.n.DType() != dtypes.Float32 && n.Op != "Abs" && n.Op != "Neg" && n.Op != "Square" && n.Op != "LogicalNot" &&
			n.Op != "Relu" && n.Op != "Relu6" {
			return nil, fmt.Errorf("input is %s", x.n.DType())
		}
		return one(value{n: f.graph(x.n)}), nil
	}
}

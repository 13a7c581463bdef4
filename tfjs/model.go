// Package tfjs reads TensorFlow.js graph models (a model.json holding a TensorFlow GraphDef as JSON
// and a weights manifest, plus binary weight shards) and translates them into GoMLX graphs, in pure
// Go.
//
// Weights may be float32, int32 or bool, quantized as float16, uint8 or uint16. Shape arithmetic
// (Shape, StridedSlice, Pack, Range, … over values known when the graph is built) is evaluated on
// the host, so graphs written for dynamic input sizes get static shapes for each input size;
// convolutions and max pooling use the lowered layers of package nets/layers. The supported
// operations are those of Google's MoveNet models (SupportedOps lists them); a model using any
// other is refused by NewGraph, naming the node and the operation.
package tfjs

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrUnsupported marks a model feature (operation, attribute, data type) the translation does not
// handle.
var ErrUnsupported = errors.New("unsupported")

// Limits on what Parse accepts, to fail cleanly on corrupt or hostile files.
const (
	maxNodes       = 1 << 20
	maxRank        = 8
	maxElements    = 1 << 30
	maxModelJSON   = 256 << 20
	maxWeightBytes = 4 << 30
)

// Model is a parsed TF.js graph model: the nodes of its graph and its weights manifest. The weight
// values are loaded separately (see ReadFile and LoadWeights).
type Model struct {
	Format      string
	GeneratedBy string
	ConvertedBy string
	Nodes       []Node
	Groups      []WeightGroup
	// Inputs and Outputs come from the model's signature when it has one; otherwise Inputs are the
	// Placeholder nodes and Outputs the nodes no other node reads.
	Inputs, Outputs []TensorInfo
}

// Node is one operation of the graph.
type Node struct {
	Name string
	Op   string
	// Inputs name the values the node reads: "node" (output 0) or "node:k"; control inputs
	// ("^node") are dropped.
	Inputs []string
	Attrs  map[string]Attr
}

// TensorInfo describes a graph input or output: Name is "node" or "node:k"; Shape has −1 for an
// unknown dimension (nil when unknown).
type TensorInfo struct {
	Key   string
	Name  string
	DType DType
	Shape []int
}

// WeightGroup is one group of the weights manifest: weights stored back to back in the
// concatenation of the shard files Paths (relative to model.json).
type WeightGroup struct {
	Paths   []string
	Weights []WeightSpec
}

// WeightSpec describes one stored weight.
type WeightSpec struct {
	Name  string
	Shape []int
	DType DType
	// Quantization is "" (stored as DType), "float16", "uint8" or "uint16" (value = q·Scale + Min).
	Quantization string
	Scale, Min   float64
}

// DType is a tensor element type as TF.js names them.
type DType string

// The element types the translation handles.
const (
	Float32 DType = "float32"
	Int32   DType = "int32"
	Bool    DType = "bool"
)

// dtypeFromTF maps a TensorFlow DataType enum name to a DType.
func dtypeFromTF(s string) (DType, error) {
	switch s {
	case "DT_FLOAT":
		return Float32, nil
	case "DT_INT32", "DT_INT64": // TF.js computes int64 as int32
		return Int32, nil
	case "DT_BOOL":
		return Bool, nil
	}
	return "", fmt.Errorf("data type %q: %w", s, ErrUnsupported)
}

// bytesPer returns the stored size of one element of a weight.
func (w WeightSpec) bytesPer() (int, error) {
	switch w.Quantization {
	case "float16", "uint16":
		return 2, nil
	case "uint8":
		return 1, nil
	case "":
	default:
		return 0, fmt.Errorf("weight %q: quantization %q: %w", w.Name, w.Quantization, ErrUnsupported)
	}
	switch w.DType {
	case Float32, Int32:
		return 4, nil
	case Bool:
		return 1, nil
	}
	return 0, fmt.Errorf("weight %q: dtype %q: %w", w.Name, w.DType, ErrUnsupported)
}

// Attr is a node attribute as model.json stores it (a TensorFlow AttrValue in JSON).
type Attr struct {
	S      *string      `json:"s"`
	I      *jsonInt     `json:"i"`
	F      *jsonFloat   `json:"f"`
	B      *bool        `json:"b"`
	Type   *string      `json:"type"`
	Shape  *shapeJSON   `json:"shape"`
	List   *attrList    `json:"list"`
	Tensor *tensorProto `json:"tensor"`
}

type attrList struct {
	S     []string    `json:"s"`
	I     []jsonInt   `json:"i"`
	F     []jsonFloat `json:"f"`
	B     []bool      `json:"b"`
	Type  []string    `json:"type"`
	Shape []shapeJSON `json:"shape"`
}

type tensorProto struct {
	DType       string    `json:"dtype"`
	TensorShape shapeJSON `json:"tensorShape"`
}

type shapeJSON struct {
	Dim []struct {
		Size jsonInt `json:"size"`
	} `json:"dim"`
	UnknownRank bool `json:"unknownRank"`
}

// dims returns the dimensions (−1 for unknown), or nil for an unknown rank.
func (s shapeJSON) dims() ([]int, error) {
	if s.UnknownRank {
		return nil, nil
	}
	if len(s.Dim) > maxRank {
		return nil, fmt.Errorf("rank %d above %d", len(s.Dim), maxRank)
	}
	out := make([]int, len(s.Dim))
	for i, d := range s.Dim {
		if d.Size < -1 || d.Size > maxElements {
			return nil, fmt.Errorf("dimension %d out of range", d.Size)
		}
		out[i] = int(d.Size)
	}
	return out, nil
}

// jsonInt is an int64 that protobuf's JSON mapping writes as a string (or a number).
type jsonInt int64

func (v *jsonInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("integer %s: %w", b, err)
	}
	*v = jsonInt(n)
	return nil
}

// jsonFloat is a float that protobuf's JSON mapping writes as a number or as "NaN" / "Infinity".
type jsonFloat float64

func (v *jsonFloat) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	switch s {
	case "NaN":
		*v = jsonFloat(math.NaN())
		return nil
	case "Infinity":
		*v = jsonFloat(math.Inf(1))
		return nil
	case "-Infinity":
		*v = jsonFloat(math.Inf(-1))
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("number %s: %w", b, err)
	}
	*v = jsonFloat(f)
	return nil
}

// modelJSON is the layout of model.json.
type modelJSON struct {
	Format        string `json:"format"`
	GeneratedBy   string `json:"generatedBy"`
	ConvertedBy   string `json:"convertedBy"`
	ModelTopology *struct {
		Node []struct {
			Name  string          `json:"name"`
			Op    string          `json:"op"`
			Input []string        `json:"input"`
			Attr  map[string]Attr `json:"attr"`
		} `json:"node"`
		Library *struct {
			Function []json.RawMessage `json:"function"`
		} `json:"library"`
	} `json:"modelTopology"`
	WeightsManifest []struct {
		Paths   []string `json:"paths"`
		Weights []struct {
			Name         string `json:"name"`
			Shape        []int  `json:"shape"`
			DType        string `json:"dtype"`
			Quantization *struct {
				DType string   `json:"dtype"`
				Scale *float64 `json:"scale"`
				Min   *float64 `json:"min"`
			} `json:"quantization"`
		} `json:"weights"`
	} `json:"weightsManifest"`
	Signature *struct {
		Inputs  map[string]signatureTensor `json:"inputs"`
		Outputs map[string]signatureTensor `json:"outputs"`
	} `json:"signature"`
}

type signatureTensor struct {
	Name        string    `json:"name"`
	DType       string    `json:"dtype"`
	TensorShape shapeJSON `json:"tensorShape"`
}

// Parse parses and validates a model.json. It checks the structure (node names unique and
// defined, weights with valid shapes and types, signature names that exist) but not the operations,
// which NewGraph checks.
func Parse(data []byte) (*Model, error) {
	if len(data) > maxModelJSON {
		return nil, fmt.Errorf("tfjs: model.json is %d bytes, above %d", len(data), maxModelJSON)
	}
	var mj modelJSON
	if err := json.Unmarshal(data, &mj); err != nil {
		return nil, fmt.Errorf("tfjs: model.json: %w", err)
	}
	if mj.Format != "" && mj.Format != "graph-model" {
		return nil, fmt.Errorf("tfjs: format %q: %w (only graph models; a layers model is a Keras model)", mj.Format, ErrUnsupported)
	}
	if mj.ModelTopology == nil || len(mj.ModelTopology.Node) == 0 {
		return nil, fmt.Errorf("tfjs: model.json has no graph (modelTopology.node)")
	}
	if mj.ModelTopology.Library != nil && len(mj.ModelTopology.Library.Function) > 0 {
		return nil, fmt.Errorf("tfjs: graph functions (control flow): %w", ErrUnsupported)
	}
	if len(mj.ModelTopology.Node) > maxNodes {
		return nil, fmt.Errorf("tfjs: %d nodes, above %d", len(mj.ModelTopology.Node), maxNodes)
	}
	m := &Model{Format: mj.Format, GeneratedBy: mj.GeneratedBy, ConvertedBy: mj.ConvertedBy}
	index := map[string]int{}
	for i, n := range mj.ModelTopology.Node {
		if n.Name == "" || n.Op == "" {
			return nil, fmt.Errorf("tfjs: node %d: empty name or op", i)
		}
		if _, dup := index[n.Name]; dup {
			return nil, fmt.Errorf("tfjs: node %q defined twice", n.Name)
		}
		index[n.Name] = i
		node := Node{Name: n.Name, Op: n.Op, Attrs: n.Attr}
		for _, in := range n.Input {
			if strings.HasPrefix(in, "^") {
				continue
			}
			node.Inputs = append(node.Inputs, in)
		}
		m.Nodes = append(m.Nodes, node)
	}
	for _, n := range m.Nodes {
		for _, in := range n.Inputs {
			name, _, err := splitRef(in)
			if err != nil {
				return nil, fmt.Errorf("tfjs: node %q (%s): input %q: %w", n.Name, n.Op, in, err)
			}
			if _, ok := index[name]; !ok {
				return nil, fmt.Errorf("tfjs: node %q (%s): input %q is not a node", n.Name, n.Op, in)
			}
		}
	}
	var total int64
	for gi, g := range mj.WeightsManifest {
		group := WeightGroup{Paths: g.Paths}
		for _, p := range g.Paths {
			if p == "" || filepath.IsAbs(p) || strings.Contains(p, "..") || strings.ContainsAny(p, `\`) {
				return nil, fmt.Errorf("tfjs: weights group %d: shard path %q must be a plain relative name", gi, p)
			}
		}
		for _, w := range g.Weights {
			spec := WeightSpec{Name: w.Name, Shape: w.Shape, DType: DType(w.DType)}
			if w.Quantization != nil {
				spec.Quantization = w.Quantization.DType
				if spec.Quantization == "uint8" || spec.Quantization == "uint16" {
					if w.Quantization.Scale == nil || w.Quantization.Min == nil {
						return nil, fmt.Errorf("tfjs: weight %q: %s quantization without scale and min", w.Name, spec.Quantization)
					}
					spec.Scale, spec.Min = *w.Quantization.Scale, *w.Quantization.Min
				}
			}
			n, err := numElements(w.Shape)
			if err != nil {
				return nil, fmt.Errorf("tfjs: weight %q: shape %v: %w", w.Name, w.Shape, err)
			}
			per, err := spec.bytesPer()
			if err != nil {
				return nil, fmt.Errorf("tfjs: %w", err)
			}
			if total += int64(n) * int64(per); total > maxWeightBytes {
				return nil, fmt.Errorf("tfjs: weights add up to more than %d bytes", int64(maxWeightBytes))
			}
			group.Weights = append(group.Weights, spec)
		}
		m.Groups = append(m.Groups, group)
	}
	if err := m.setSignature(mj, index); err != nil {
		return nil, err
	}
	return m, nil
}

// setSignature fills Inputs and Outputs from the signature, or from the graph without one.
func (m *Model) setSignature(mj modelJSON, index map[string]int) error {
	conv := func(key string, t signatureTensor) (TensorInfo, error) {
		name := strings.TrimSuffix(t.Name, ":0")
		node, _, err := splitRef(name)
		if err != nil {
			return TensorInfo{}, fmt.Errorf("tfjs: signature %q: %w", key, err)
		}
		if _, ok := index[node]; !ok {
			return TensorInfo{}, fmt.Errorf("tfjs: signature %q: tensor %q is not a node", key, t.Name)
		}
		info := TensorInfo{Key: key, Name: name}
		if t.DType != "" {
			if info.DType, err = dtypeFromTF(t.DType); err != nil {
				return TensorInfo{}, fmt.Errorf("tfjs: signature %q: %w", key, err)
			}
		}
		if info.Shape, err = t.TensorShape.dims(); err != nil {
			return TensorInfo{}, fmt.Errorf("tfjs: signature %q: %w", key, err)
		}
		return info, nil
	}
	if mj.Signature != nil && len(mj.Signature.Outputs) > 0 {
		for _, k := range sortedKeys(mj.Signature.Inputs) {
			info, err := conv(k, mj.Signature.Inputs[k])
			if err != nil {
				return err
			}
			m.Inputs = append(m.Inputs, info)
		}
		for _, k := range sortedKeys(mj.Signature.Outputs) {
			info, err := conv(k, mj.Signature.Outputs[k])
			if err != nil {
				return err
			}
			m.Outputs = append(m.Outputs, info)
		}
	}
	read := map[string]bool{}
	for _, n := range m.Nodes {
		for _, in := range n.Inputs {
			name, _, _ := splitRef(in)
			read[name] = true
		}
	}
	if len(m.Inputs) == 0 {
		for _, n := range m.Nodes {
			if n.Op == "Placeholder" {
				m.Inputs = append(m.Inputs, TensorInfo{Key: n.Name, Name: n.Name})
			}
		}
	}
	if len(m.Outputs) == 0 {
		for _, n := range m.Nodes {
			if !read[n.Name] && n.Op != "Const" && n.Op != "Placeholder" && n.Op != "NoOp" {
				m.Outputs = append(m.Outputs, TensorInfo{Key: n.Name, Name: n.Name})
			}
		}
	}
	if len(m.Outputs) == 0 {
		return fmt.Errorf("tfjs: the graph has no output")
	}
	// The placeholders give the inputs' types and shapes when the signature does not.
	for i, in := range m.Inputs {
		n := &m.Nodes[index[strings.SplitN(in.Name, ":", 2)[0]]]
		if n.Op != "Placeholder" {
			return fmt.Errorf("tfjs: input %q is a %s, not a Placeholder", in.Name, n.Op)
		}
		if a, ok := n.Attrs["dtype"]; ok && a.Type != nil && in.DType == "" {
			dt, err := dtypeFromTF(*a.Type)
			if err != nil {
				return fmt.Errorf("tfjs: input %q: %w", in.Name, err)
			}
			m.Inputs[i].DType = dt
		}
		if a, ok := n.Attrs["shape"]; ok && a.Shape != nil {
			s, err := a.Shape.dims()
			if err != nil {
				return fmt.Errorf("tfjs: input %q: %w", in.Name, err)
			}
			m.Inputs[i].Shape = s
		}
		if m.Inputs[i].DType == "" {
			m.Inputs[i].DType = Float32
		}
	}
	return nil
}

func sortedKeys(m map[string]signatureTensor) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// splitRef splits "node:k" into the node name and output index k (0 when absent).
func splitRef(ref string) (string, int, error) {
	i := strings.LastIndexByte(ref, ':')
	if i < 0 {
		return ref, 0, nil
	}
	k, err := strconv.Atoi(ref[i+1:])
	if err != nil || k < 0 || k > 1<<16 {
		return "", 0, fmt.Errorf("bad output index in %q", ref)
	}
	return ref[:i], k, nil
}

// numElements returns the number of elements of a shape, failing on negative dimensions or sizes
// above maxElements.
func numElements(shape []int) (int, error) {
	if len(shape) > maxRank {
		return 0, fmt.Errorf("rank %d above %d", len(shape), maxRank)
	}
	n := 1
	for _, d := range shape {
		if d < 0 || d > maxElements {
			return 0, fmt.Errorf("dimension %d out of range", d)
		}
		n *= d
		if n > maxElements {
			return 0, fmt.Errorf("more than %d elements", maxElements)
		}
	}
	return n, nil
}

// attrInt returns integer attribute name, or def when absent.
func (n *Node) attrInt(name string, def int) int {
	if a, ok := n.Attrs[name]; ok && a.I != nil {
		return int(*a.I)
	}
	return def
}

// attrBool returns boolean attribute name, or false when absent.
func (n *Node) attrBool(name string) bool {
	a, ok := n.Attrs[name]
	return ok && a.B != nil && *a.B
}

// attrFloat returns float attribute name, or def when absent.
func (n *Node) attrFloat(name string, def float64) float64 {
	if a, ok := n.Attrs[name]; ok && a.F != nil {
		return float64(*a.F)
	}
	return def
}

// attrString returns string attribute name (base64-decoded), or def when absent.
func (n *Node) attrString(name, def string) (string, error) {
	a, ok := n.Attrs[name]
	if !ok || a.S == nil {
		return def, nil
	}
	b, err := base64.StdEncoding.DecodeString(*a.S)
	if err != nil {
		return "", fmt.Errorf("attribute %s: %w", name, err)
	}
	return string(b), nil
}

// attrInts returns integer-list attribute name (nil when absent).
func (n *Node) attrInts(name string) []int {
	a, ok := n.Attrs[name]
	if !ok || a.List == nil {
		return nil
	}
	out := make([]int, len(a.List.I))
	for i, v := range a.List.I {
		out[i] = int(v)
	}
	return out
}

// attrStrings returns string-list attribute name, base64-decoded.
func (n *Node) attrStrings(name string) ([]string, error) {
	a, ok := n.Attrs[name]
	if !ok || a.List == nil {
		return nil, nil
	}
	out := make([]string, len(a.List.S))
	for i, s := range a.List.S {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", name, err)
		}
		out[i] = string(b)
	}
	return out, nil
}

// attrType returns type attribute name as a DType, or def when absent.
func (n *Node) attrType(name string, def DType) (DType, error) {
	a, ok := n.Attrs[name]
	if !ok || a.Type == nil {
		return def, nil
	}
	return dtypeFromTF(*a.Type)
}

// ReadFile reads model.json at path and the weight shards it names (from the same directory).
func ReadFile(path string) (*Model, map[string]*Tensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("tfjs: %w", err)
	}
	m, err := Parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	dir := filepath.Dir(path)
	w, err := m.LoadWeights(func(p string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, p)) })
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, w, nil
}

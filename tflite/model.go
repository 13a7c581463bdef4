// Package tflite reads TensorFlow Lite models (FlatBuffers, schema v3) in pure Go and translates
// their float inference graphs into the project's network description with the weights as
// variables (NewNetwork checks and folds the graph, Network.ImportNet translates it, NetRunner
// runs it; the BlazePose person detector and landmark models), which runs through the same
// lowered layers, trains, prunes, quantizes and exports like the networks posedistill builds.
//
// Read (or Parse) decodes a .tflite file into a Model: subgraphs, tensors with their shapes,
// types, constant buffers and quantization, operator codes and operators with parsed options.
// Every access to the file is bounds-checked: a broken file gives an error, never a panic.
package tflite

// Model is a decoded TFLite model.
type Model struct {
	// Version is the schema version (3 for current files).
	Version uint32
	// Description is the model's free-text description.
	Description string
	// OperatorCodes lists the operator kinds; Operator.OpcodeIndex points here.
	OperatorCodes []OperatorCode
	// SubGraphs holds the subgraphs; the first is the main model.
	SubGraphs []SubGraph
	// Buffers holds the constant data; Tensor.Buffer points here. Buffer 0 is the empty sentinel.
	Buffers []Buffer
}

// OperatorCode identifies the kind of an operator.
type OperatorCode struct {
	// Builtin is the builtin operator: the larger of the deprecated int8 field and the int32
	// builtin_code field, as TFLite resolves it.
	Builtin BuiltinOperator
	// Custom is the custom operator name when Builtin is Custom.
	Custom string
	// Version is the operator version.
	Version int32
}

// SubGraph is one computation graph.
type SubGraph struct {
	Name      string
	Tensors   []Tensor
	Inputs    []int // tensor indices of the graph inputs
	Outputs   []int // tensor indices of the graph outputs
	Operators []Operator
}

// Tensor describes one tensor of a subgraph.
type Tensor struct {
	Name  string
	Shape []int
	Type  TensorType
	// Buffer is the index into Model.Buffers; 0 means no constant data.
	Buffer int
	// Quantization is nil when the tensor is not quantized.
	Quantization *Quantization
	// Sparsity is non-nil for a sparse constant: its buffer holds only the stored values, and
	// DENSIFY (see Densify) expands them to Shape.
	Sparsity   *Sparsity
	IsVariable bool
}

// Sparsity describes a sparse tensor in TFLite's TACO-like format: the dimensions are
// traversed in TraversalOrder (the dense dimensions, then block dimensions mapped to dense
// ones by BlockMap), each either dense or compressed (CSR).
type Sparsity struct {
	TraversalOrder []int
	BlockMap       []int
	DimMetadata    []DimMetadata
}

// DimMetadata is the storage of one traversed dimension: Dense with DenseSize entries, or
// sparse CSR with Segments (per parent element, a range into Indices) and Indices.
type DimMetadata struct {
	Dense     bool
	DenseSize int
	Segments  []int
	Indices   []int
}

// Quantization holds affine quantization parameters: real = Scale * (q - ZeroPoint), per tensor
// (one scale) or per channel along QuantizedDimension.
type Quantization struct {
	Min, Max           []float32
	Scale              []float32
	ZeroPoint          []int64
	QuantizedDimension int
}

// Buffer is raw constant data. Data is the bytes, whether stored inside the FlatBuffer or, for
// models over 2 GB, after it at Offset with Size bytes.
type Buffer struct {
	Data         []byte
	Offset, Size uint64
}

// Operator is one node of a subgraph.
type Operator struct {
	// OpcodeIndex indexes Model.OperatorCodes.
	OpcodeIndex int
	// Inputs and Outputs are tensor indices; -1 marks an omitted optional input.
	Inputs, Outputs []int
	// OptionsType is the BuiltinOptions union tag; Options is its decoded value (one of the
	// *Options types of this package) or nil when absent or of a kind this package ignores.
	OptionsType uint8
	Options     any
	// CustomOptions holds the raw custom options of custom operators.
	CustomOptions []byte
}

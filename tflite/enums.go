package tflite

import "fmt"

// TensorType is the element type of a tensor.
type TensorType int8

// Tensor element types (schema enum TensorType).
const (
	Float32 TensorType = 0
	Float16 TensorType = 1
	Int32   TensorType = 2
	Uint8   TensorType = 3
	Int64   TensorType = 4
	String  TensorType = 5
	Bool    TensorType = 6
	Int16   TensorType = 7
	Int8    TensorType = 9
	Float64 TensorType = 10
)

var tensorTypeNames = map[TensorType]string{
	Float32: "FLOAT32", Float16: "FLOAT16", Int32: "INT32", Uint8: "UINT8", Int64: "INT64",
	String: "STRING", Bool: "BOOL", Int16: "INT16", 8: "COMPLEX64", Int8: "INT8", Float64: "FLOAT64",
	11: "COMPLEX128", 12: "UINT64", 13: "RESOURCE", 14: "VARIANT", 15: "UINT32", 16: "UINT16", 17: "INT4",
}

// String returns the schema name of the type.
func (t TensorType) String() string {
	if s, ok := tensorTypeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("TensorType(%d)", int(t))
}

// Size returns the size of one element in bytes, or 0 for types without a fixed size.
func (t TensorType) Size() int {
	switch t {
	case Float32, Int32:
		return 4
	case Float16, Int16:
		return 2
	case Uint8, Int8, Bool:
		return 1
	case Int64, Float64:
		return 8
	}
	return 0
}

// BuiltinOperator is a TFLite builtin operator code.
type BuiltinOperator int32

// The builtin operators this package translates, and Custom.
const (
	OpAdd            BuiltinOperator = 0
	OpConcatenation  BuiltinOperator = 2
	OpConv2D         BuiltinOperator = 3
	OpDepthwiseConv  BuiltinOperator = 4
	OpDepthToSpace   BuiltinOperator = 5
	OpDequantize     BuiltinOperator = 6
	OpLogistic       BuiltinOperator = 14
	OpMaxPool2D      BuiltinOperator = 17
	OpRelu           BuiltinOperator = 19
	OpRelu6          BuiltinOperator = 21
	OpReshape        BuiltinOperator = 22
	OpResizeBilinear BuiltinOperator = 23
	OpCustom         BuiltinOperator = 32
	OpPad            BuiltinOperator = 34
	OpDensify        BuiltinOperator = 124
)

// builtinNames lists the schema names of the builtin operators 0..127 (schema enum BuiltinOperator).
var builtinNames = [...]string{
	"ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE",
	"DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP",
	"L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION",
	"LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN",
	"SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH", "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM",
	"EMBEDDING_LOOKUP_SPARSE", "PAD", "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND",
	"SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM",
	"STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2", "SPLIT", "LOG_SOFTMAX", "DELEGATE",
	"BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM", "ARG_MAX", "MINIMUM", "LESS", "NEG",
	"PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT", "SLICE", "SIN", "TRANSPOSE_CONV",
	"SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM", "SQRT", "RSQRT",
	"SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR",
	"ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY",
	"SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD", "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU",
	"SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N",
	"GATHER_ND", "COS", "WHERE", "RANK", "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE",
	"MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF", "WHILE", "NON_MAX_SUPPRESSION_V4",
	"NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL",
	"PLACEHOLDER_FOR_GREATER_OP_CODES",
}

// String returns the schema name of the operator.
func (op BuiltinOperator) String() string {
	if op >= 0 && int(op) < len(builtinNames) {
		return builtinNames[op]
	}
	return fmt.Sprintf("BUILTIN_OPERATOR_%d", int32(op))
}

// Activation is a fused activation function.
type Activation int8

// Fused activation functions (schema enum ActivationFunctionType).
const (
	ActNone      Activation = 0
	ActRelu      Activation = 1
	ActReluN1To1 Activation = 2
	ActRelu6     Activation = 3
	ActTanh      Activation = 4
	ActSignBit   Activation = 5
)

// String returns the schema name of the activation.
func (a Activation) String() string {
	names := [...]string{"NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT"}
	if a >= 0 && int(a) < len(names) {
		return names[a]
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

// Padding is the padding scheme of convolutions and pools.
type Padding int8

// Padding schemes (schema enum Padding).
const (
	PaddingSame  Padding = 0
	PaddingValid Padding = 1
)

// String returns the schema name of the padding.
func (p Padding) String() string {
	switch p {
	case PaddingSame:
		return "SAME"
	case PaddingValid:
		return "VALID"
	}
	return fmt.Sprintf("Padding(%d)", int(p))
}

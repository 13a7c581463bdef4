package tflite

// BuiltinOptions union tags of the options this package decodes (schema union BuiltinOptions).
const (
	optConv2D         = 1
	optDepthwiseConv  = 2
	optPool2D         = 5
	optConcatenation  = 10
	optAdd            = 11
	optResizeBilinear = 15
	optReshape        = 17
	optDepthToSpace   = 94
)

// Conv2DOptions configures CONV_2D.
type Conv2DOptions struct {
	Padding                          Padding
	StrideW, StrideH                 int
	Activation                       Activation
	DilationWFactor, DilationHFactor int
}

// DepthwiseConv2DOptions configures DEPTHWISE_CONV_2D.
type DepthwiseConv2DOptions struct {
	Padding                          Padding
	StrideW, StrideH                 int
	DepthMultiplier                  int
	Activation                       Activation
	DilationWFactor, DilationHFactor int
}

// Pool2DOptions configures MAX_POOL_2D and AVERAGE_POOL_2D.
type Pool2DOptions struct {
	Padding                   Padding
	StrideW, StrideH          int
	FilterWidth, FilterHeight int
	Activation                Activation
}

// ConcatenationOptions configures CONCATENATION.
type ConcatenationOptions struct {
	Axis       int
	Activation Activation
}

// AddOptions configures ADD.
type AddOptions struct {
	Activation Activation
}

// ResizeBilinearOptions configures RESIZE_BILINEAR.
type ResizeBilinearOptions struct {
	AlignCorners     bool
	HalfPixelCenters bool
}

// ReshapeOptions configures RESHAPE (the target shape, when not given as an input tensor).
type ReshapeOptions struct {
	NewShape []int
}

// DepthToSpaceOptions configures DEPTH_TO_SPACE.
type DepthToSpaceOptions struct {
	BlockSize int
}

// parseOptions decodes the builtin options table t of union tag typ; unknown tags give nil.
func (r *reader) parseOptions(typ uint8, t table) any {
	switch typ {
	case optConv2D:
		return &Conv2DOptions{
			Padding:         Padding(r.fieldU8(t, 0, 0)),
			StrideW:         int(r.fieldI32(t, 1, 0)),
			StrideH:         int(r.fieldI32(t, 2, 0)),
			Activation:      Activation(r.fieldU8(t, 3, 0)),
			DilationWFactor: int(r.fieldI32(t, 4, 1)),
			DilationHFactor: int(r.fieldI32(t, 5, 1)),
		}
	case optDepthwiseConv:
		return &DepthwiseConv2DOptions{
			Padding:         Padding(r.fieldU8(t, 0, 0)),
			StrideW:         int(r.fieldI32(t, 1, 0)),
			StrideH:         int(r.fieldI32(t, 2, 0)),
			DepthMultiplier: int(r.fieldI32(t, 3, 0)),
			Activation:      Activation(r.fieldU8(t, 4, 0)),
			DilationWFactor: int(r.fieldI32(t, 5, 1)),
			DilationHFactor: int(r.fieldI32(t, 6, 1)),
		}
	case optPool2D:
		return &Pool2DOptions{
			Padding:      Padding(r.fieldU8(t, 0, 0)),
			StrideW:      int(r.fieldI32(t, 1, 0)),
			StrideH:      int(r.fieldI32(t, 2, 0)),
			FilterWidth:  int(r.fieldI32(t, 3, 0)),
			FilterHeight: int(r.fieldI32(t, 4, 0)),
			Activation:   Activation(r.fieldU8(t, 5, 0)),
		}
	case optConcatenation:
		return &ConcatenationOptions{
			Axis:       int(r.fieldI32(t, 0, 0)),
			Activation: Activation(r.fieldU8(t, 1, 0)),
		}
	case optAdd:
		return &AddOptions{Activation: Activation(r.fieldU8(t, 0, 0))}
	case optResizeBilinear:
		return &ResizeBilinearOptions{
			AlignCorners:     r.fieldBool(t, 2, false),
			HalfPixelCenters: r.fieldBool(t, 3, false),
		}
	case optReshape:
		return &ReshapeOptions{NewShape: r.fieldInts(t, 0)}
	case optDepthToSpace:
		return &DepthToSpaceOptions{BlockSize: int(r.fieldI32(t, 0, 0))}
	}
	return nil
}

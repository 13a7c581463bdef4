// Package layers holds convolutional building blocks for GoMLX, lowered to operations that run fast on
// GoMLX's pure-Go backend and that differentiate cleanly on every backend (including ONNX Runtime).
//
// The blocks are written in GoMLX's builder idiom:
//
//	y := layers.Conv(scope.At("conv1"), x).Channels(32).Kernel(3).Stride(2).
//		BatchNorm(true).Activation(layers.ReLU6).Training(train).Done()
//
// Lowerings (all tensors NHWC float32):
//   - a 1×1 convolution is one DotGeneral over the flattened pixels;
//   - a k×k convolution is im2col (the k·k shifted taps concatenated on the channel axis) and one
//     DotGeneral;
//   - a depthwise convolution is a sum of k·k shifted taps, each multiplied by a per-channel weight;
//   - a stride s is handled by viewing the padded input as s·s phase planes ([.., n, s, ..]), so every
//     tap is a plain crop of one plane and no strided slice or strided convolution (whose gradients need
//     "interior padding" or "input dilation") appears in the graph;
//   - on the go backend the crops are Gathers of contiguous runs (its Slice copies element by element,
//     its Pad fills its output with zeros first); other backends get Slices;
//   - in training mode the convolutions and batch norm carry hand-written gradients (customGradient):
//     the weights' gradient transposes only the narrower operand, the taps' gradient is a correlation
//     of crops of the output's gradient, batch norm's is the textbook two-reduction form. Inference
//     graphs are plain, and GoMLX differentiates them by itself;
//   - a 4×4 stride-2 transposed convolution is four 2×2 convolutions, one per output phase, interleaved;
//   - batch norm is written with plain ops; in inference mode it is folded into the convolution's weights
//     and bias, like an exported network would be.
//
// Variables live under the scope given to each builder, named as GoMLX's own layers name them
// ("weights" [kh, kw, in/groups, out], "biases" [out]); batch norm adds the sub-scope "bn" with
// "scale", "offset", "mean" and "variance" (PyTorch semantics: momentum 0.1, ε 1e-5, unbiased running
// variance), so the weights can be exported or imported by name.
//
// Graph-building functions panic on inconsistent shapes, as GoMLX's graph functions do; callers that
// take untrusted descriptions validate them first (see package nets).
package layers

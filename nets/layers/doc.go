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
//   - a depthwise convolution is, on the go backend, one ConvGeneral (forward, and two more for the
//     hand-written input and filter gradients) that posedistill's fork of gomlx/compute runs with a SIMD
//     kernel (third_party/gomlx-compute/FORK.md); on other backends, a sum of k·k shifted taps, each
//     multiplied by a per-channel weight;
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
//   - batch norm in training is, on the go backend, the backend's BatchNormForTraining op (GoMLX
//     differentiates it with BatchNormGradient), and ReLU / ReLU6 its FusedActivation op: posedistill's
//     fork of gomlx/compute implements both; on other backends they are written with plain ops. In
//     inference mode batch norm is folded into the convolution's weights and bias, like an exported
//     network would be.
//
// Where a training step's time goes on the go backend (issue 17; MoVNect 1.0, 128×128, batch 16, one
// thread, share of the time spent in backend ops, measured per op with an instrumented copy of the
// backend):
//
// (before the batch-norm and activation ops below):
//
//	                                               before (lowered depthwise)   after (depthwise kernel)
//	element-wise ops (batch norm, activations,
//	  depthwise tap sums, Adam)                              52 %                       43 %
//	copies (Gather crops, Pad, Slice, Identity)              21 %                        4 %
//	matrix products (1×1 and im2col convolutions,
//	  their gradients, transposes for them)                  21 %                       29 %
//	reductions (batch norm, filter gradients)                 6 %                        7 %
//	depthwise ConvGeneral kernels                             —                         17 %
//	CPU time per step                                    1,050–1,135 ms              615–700 ms
//
// One layer's training pass (forward and both gradients, `GOMLX_BACKEND=go:parallelism=1 go test
// -run XXX -bench Layers ./nets/layers`): a 3×3 depthwise layer on 16×64×64×32 took 68 ms lowered
// and 20 ms as the kernel. Batch norm + ReLU6 on 16×32×32×144 took 24.6–30.7 CPU ms from plain ops
// (about 20 passes over memory, forward and backward: the backend fuses nothing) and takes 17 ms
// as the backend's own ops (BatchNormForTraining, FusedActivation and, in the gradient,
// FusedActivationVJP and BatchNormGradient: six passes), which posedistill's fork of gomlx/compute
// implements for the go backend; the "/plain" rows of the benchmark are the plain-op version. With
// both, a MoVNect 128×128 step went from 1.03–1.21× PyTorch's CPU time to 0.80–0.95× (machine load
// 6–14; pprof then puts most of the step in the matrix products, the depthwise kernels and the
// copies: Gather crops and the transposes the matrix kernels need for weight gradients).
//
// Variables live under the scope given to each builder, named as GoMLX's own layers name them
// ("weights" [kh, kw, in/groups, out], "biases" [out]); batch norm adds the sub-scope "bn" with
// "scale", "offset", "mean" and "variance" (PyTorch semantics: momentum 0.1, ε 1e-5, unbiased running
// variance), so the weights can be exported or imported by name.
//
// Graph-building functions panic on inconsistent shapes, as GoMLX's graph functions do; callers that
// take untrusted descriptions validate them first (see package nets).
package layers

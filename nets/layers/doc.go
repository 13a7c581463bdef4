// Package layers holds convolutional building blocks for GoMLX, lowered to operations that run fast on
// GoMLX's pure-Go backend and that differentiate cleanly on every backend (including ONNX Runtime).
//
// The blocks are written in GoMLX's builder idiom:
//
//	y := layers.Conv(scope.At("conv1"), x).Channels(32).Kernel(3).Stride(2).
//		BatchNorm(true).Activation(layers.ReLU6).Training(train).Done()
//
// Lowerings (all tensors NHWC float32):
//   - a 1×1 convolution is one DotGeneral contracting the channel axis of the NHWC tensor in place
//     (a Reshape to [N·H·W, C] would copy an input that has other consumers, as a block's input kept
//     for the backward pass has); its weights' gradient transposes the narrower operand, a block swap
//     the fork runs as a 2-D transpose;
//   - a k×k convolution is im2col (the k·k shifted taps concatenated on the channel axis) and one
//     DotGeneral; in inference graphs on the go backend, one with at most 32 output channels is one
//     ConvGeneral instead, run by the fork's direct kernel (no im2col copy), with the im2col lowering's
//     hand-written gradient should the graph be differentiated (GoMLX's own gradient of ConvGeneral is
//     wrong for an even kernel padded on one side);
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
//     fork of gomlx/compute implements both, and fuses the activation into the batch-norm op, forward
//     and backward (BatchNormActivationFusion); on other backends they are written with plain ops. In
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
// Where BlazePose-full's batch-1 inference time goes on the go backend (issue 17; share of the time
// spent in backend ops, per-op wall-clock time summed by an instrumented copy of the backend, one
// worker (the "before" column: two), `go test -bench 'BlazePose$/pose_landmark_full.tflite/go' ./tflite`;
// the machine was shared with a training run, so the shares are rough):
//
//	                                        before        row depthwise kernel    + direct small conv
//	depthwise ConvGeneral kernels            47 %                25 %                  35 % (with the
//	                                                                                   direct convs)
//	matrix products (1×1 and im2col convs)   20 %                27 %                  29 %
//	activations (FusedActivation)            13 %                12 %                  12 %
//	im2col copies (Concatenate, Gather, Pad)  11 %               21 %                   4 %
//	bias adds (Add)                           5 %                 6 %                  11 %
//	weight reshapes (Reshape copies)          3 %                 5 %                   6 %
//	CPU ms per inference, one thread     117–162                 73                  48–66
//	  (BenchmarkBlazePoseRatio, threads=1; TFLite-XNNPACK's WebAssembly build: 54–78)
//
// The depthwise kernel spent its time listing every output pixel's taps (two integer divisions per
// tap), not multiplying: at 256×256 with 8 channels a 3×3 layer took 22 ms; the row kernel lists them
// once per row. The segmentation head, a 3×3 convolution of 8 channels into 1 at 256×256, was about a
// fifth of the time as im2col (a 72-value copy per pixel) and a one-column matrix product; the direct
// kernel takes about 1.3 ms. What remains beyond XNNPACK's fused kernels: the bias add and activation
// after every convolution are passes of their own (FusedDense, which fuses them into the matrix
// product, measured about twice as slow as DotGeneral here, and its gradient panics on inputs of rank
// above 2), and a Reshape of a variable copies it, so every 1×1 convolution copies its weights per
// inference (contracting the 4-D kernel in place instead made the matrix kernels twice as slow).
//
// Training steps, second round (issue 17; the fork's changes are listed in its FORK.md under
// "Training steps"): the custom-gradient identities copied their input whenever it had other
// consumers (IdentityElision removes them), 1×1 convolutions contract NHWC in place, transposes that
// swap blocks of axes run as 2-D transposes, batch norm carries its ReLU / ReLU6 both ways, the
// strided depthwise input gradient runs through the row kernel, Slice copies runs, and the depthwise
// filter gradient keeps four multiply-adds in flight. Go CPU ms per step and Go ÷ PyTorch (CPU time,
// one thread each, `BenchmarkStudents`, 128×128, batch 16), each commit's test binary run in turn in
// two rounds (load 2.1–3.4 in the first, 1.0–1.2 in the second; the machine shared with a training
// run), so the steps compare across rows only roughly (±10 % between rounds of one binary):
//
//	                                        MobileNetV2                      MoVNect
//	before                         684 / 687 ms  1.06× / 1.08×     513 / 528 ms  1.13× / 1.08×
//	+ IdentityElision              682 / 780     1.08  / 1.12      471 / 460     1.00  / 1.15
//	+ 1×1 in place                 651 / 687     1.11  / 1.10      611 / 582     1.17  / 1.14
//	+ block transposes             660 / 739     1.08  / 1.13      461 / 464     1.11  / 1.09
//	+ batch norm + activation      713 / 654     1.09  / 1.06      459 / 486     0.97  / 1.08
//	+ strided depthwise gradient   629 / 586     1.06  / 1.03      509 / 422     1.00  / 0.90
//	+ Slice runs                   608 / 605     0.95  / 0.99      462 / 496     1.00  / 0.94
//	+ filter gradient accumulators 646 / 577     1.09  / 0.94      442 / 435     0.97  / 0.90
//
// The 1×1 convolution in place was slower alone (MoVNect 611 and 582 ms against 471 and 460: its
// weight gradient's 4-D transpose went through the generic element-by-element transpose) and is
// even with the block transposes; the steps' total fell by about 10–15 % (MobileNetV2 684–687 →
// 577–646 ms, MoVNect 513–528 → 435–442 ms), and no single change stands out of the noise.
//
// One layer's training pass shows them better (`GOMLX_BACKEND=go:parallelism=1 go test -run XXX
// -bench Layers -benchtime 10x ./nets/layers`, CPU ms, the code before and after, alternating, two
// rounds, load 3.3–3.5):
//
//	                                   before         after
//	depthwise 3×3, stride 2, 64×64×96  43.4, 45.2     20.4, 19.6   (strided input gradient: row kernel)
//	depthwise 3×3, stride 1, 64×64×32  15.6, 13.3     11.4, 11.8   (identities; filter gradient)
//	depthwise 3×3, stride 1, 32×32×144 22.1, 21.7     19.3, 18.6
//	1×1 conv + bn + ReLU6, 24 → 144    23.9, 22.9     21.2, 18.9
//	1×1 conv + bn, 144 → 24            18.7, 17.5     17.9, 15.6
//	bn + ReLU6, 16×32×32×144           14.5, 14.5     13.5, 13.0   (one op each way)
//
// Training steps, third round (issue 17; the fork's files are listed in its FORK.md under "Training
// steps"). A pprof profile of the MobileNetV2 step (parallelism=1) put 31 % of the backend's time
// in the matrix products, 27 % in the depthwise kernels, 24 % in batch norm (its sums, the
// normalization and the gradient, with the fused activation), 6 % in transposes for 1×1 weight
// gradients and 6 % in element-wise ops (Adam, residual and gradient sums); MoVNect's step 33 %
// depthwise, 28 % matrix products, 29 % batch norm. objdump of the depthwise row kernel showed
// the Go compiler turning each simd.LoadFloat32s(x[i:]) into a bounds check, slice arithmetic and
// register spills: more instructions than the multiply-adds. The fork's own loops (depthwise
// rows and filter-gradient dots, batch norm, ReLU6 and its VJP) now check their extents once per
// call and load through unsafe pointers, with the same sums in the same order; stride-1 3×3
// depthwise rows load each input column once for four pixels; the batch-norm sums walk
// mid-sized tensors row by row; and the block-swap transposes run in 8×8 register blocks. In
// cache, a depthwise output row took 0.5–0.8 CPU ns per value where it took 1.8–3.1, a
// transpose 0.6–1.3 ns per element where it took 3.1–5.0. The step ratios before and after
// (alternating rounds, same binaries) are in the README's speed table.
//
// Variables live under the scope given to each builder, named as GoMLX's own layers name them
// ("weights" [kh, kw, in/groups, out], "biases" [out]); batch norm adds the sub-scope "bn" with
// "scale", "offset", "mean" and "variance" (PyTorch semantics: momentum 0.1, ε 1e-5, unbiased running
// variance), so the weights can be exported or imported by name.
//
// Graph-building functions panic on inconsistent shapes, as GoMLX's graph functions do; callers that
// take untrusted descriptions validate them first (see package nets).
package layers

// Package nets describes pose-estimation networks as data and builds them as GoMLX graphs.
//
// # The network as data
//
// An architecture is a Net: a list of Layers in topological order (convolution — grouped, depthwise
// or dense, with optional batch norm and activation — 4×4 stride-2 transposed convolution, max
// pooling, add, concat, 2× upsampling), each naming its inputs, plus the names of the head layers
// (heatmaps, optional X/Y/Z location maps, optional segmentation mask). Everything else is a function
// of that description:
//
//   - Shapes validates it and infers every layer's output shape for an input size;
//   - Params and FLOPs count learned parameters and multiply-accumulates;
//   - Build turns it into a GoMLX graph whose variables live under one scope per layer (the layer's
//     Name), so weights can be exported, imported or pruned by name; ModelFn and Predictor wrap Build
//     for train.Trainer and for inference;
//   - it marshals to JSON (testdata/torch_net.py builds the identical network in PyTorch from it).
//
// Other representations were weighed: building the GoMLX graph directly in Go code (GoMLX's usual
// style) is shorter for one architecture, but pruning, low-rank factorization, ONNX export and the
// TFLite importer would each need to re-derive structure from a traced graph; an ONNX-like generic
// op graph is more general but makes every consumer handle dozens of ops. A small fixed set of fused
// layers (conv+BN+activation as one node, as inference engines fuse them) keeps rewrites simple: to
// prune a conv's output channels, change its Out and the weights of the layers that read it.
//
// # Speed on the pure-Go backend
//
// The blocks (package nets/layers) are lowered to MatMul, shifted-tap sums and reshapes rather than
// GoMLX's native ConvGeneral, which is 4–6× slower on the "go" backend; strides select phase 0 after
// a reshape instead of strided slices, whose gradients ONNX Runtime rejects. Batch norm is written in
// plain ops (the "go" backend has no fused BatchNormForTraining) with PyTorch's semantics, and is
// folded into the convolution weights in inference mode.
//
// # Architectures
//
// Students: MobileNetV2Pose (torchvision's MobileNetV2 + light or deconv head), MoVNect (MobileNetV2
// truncated at stride 16 + depthwise-separable blocks, 2D heatmaps and optional location maps),
// HRNet-W16. Teachers: SimpleBaseline (ResNet-18/34/50/101/152 + three transposed convolutions),
// HRNet-W32, both with an optional segmentation head. All heads are at 1/4 of the input resolution (256×192 → 64×48). Catalog lists
// ready-made configurations by name.
package nets

// Package export writes networks described by package nets, with the weights of a GoMLX model.Store,
// in formats other tools read: ONNX models for inference engines (ONNX Runtime, TensorRT, OpenVINO)
// and safetensors files of raw tensors (PyTorch, Hugging Face tools).
//
// # ONNX
//
// ONNX writes a clean inference graph: batch norm folded into the convolution weights and biases,
// native Conv (with strides, pads and groups), ConvTranspose, Relu, Clip (ReLU6), Sigmoid, Add, Concat,
// Resize and MaxPool, in NCHW as ONNX operators expect. By default the model takes and returns NHWC
// tensors like nets.Predictor (one Transpose after the input and one before each output); the NCHW
// option drops them. There is one output per head, named "heatmaps", "locations", "mask",
// "offsets" and "regression". The ModelProto is built with the ONNX protobuf messages generated in github.com/gomlx/compute-onnx
// (already a dependency of the module) and written with IR version 8 and opset 13, which ONNX 1.12
// and every ONNX Runtime since 1.10 read.
//
// Quantized models use ONNX's QDQ format: with Int8Weights every kernel is stored as int8 codes with
// a scale per output channel behind a DequantizeLinear node; with Activations (ActQuant: a uint8
// scale and zero point per tensor, e.g. from a calibration in package compress) the input and every
// layer's output pass through a QuantizeLinear / DequantizeLinear pair, which ONNX Runtime fuses into
// integer kernels.
//
// # Safetensors
//
// WriteSafetensors writes named tensors in the safetensors format (8-byte little-endian header
// length, a JSON header giving each tensor's dtype, shape and byte range, then the raw little-endian
// data); ReadSafetensors reads it back. StoreTensors collects every variable of a model.Store under
// its scope path ("block_1_dw/bn/scale").
package export

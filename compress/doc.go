// Package compress makes networks described by package nets smaller: unstructured magnitude pruning
// (layer-wise or with one global threshold, on a gradual schedule), structured channel pruning that
// removes convolution output channels and the matching input channels of every consumer and rebuilds
// a smaller nets.Net with its model.Store, low-rank (SVD) factorization of convolutions into two
// thinner ones, and weight quantization (float16, int8, int4; per tensor or per channel; symmetric or
// asymmetric) to a packed file.
//
// Activations are quantized to uint8 per tensor after training (Calibrate records each layer's
// output range on sample crops, by min/max or percentile; PostTrainingQuant folds batch norm,
// quantizes the weights to int8 per channel and gives a PTQModel that runs in Go with fake-quantized
// activations, NewQuantPredictor, and exports as a QDQ ONNX model). QuantModelFn builds the network with
// fake quantization and straight-through gradients for quantization-aware training, and FineTune
// fine-tunes any compressed network with train.Run, optionally quantization-aware and with a
// teacher's distillation term. AgreementAP scores a compressed network against the original's
// predictions.
//
// Every function works on a *nets.Net and the *model.Store holding its weights (variables named as
// package nets/layers names them, under one scope per layer) and returns new values: the input
// network and store are never modified, except by the functions whose name says so (ApplyMasks).
package compress

// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build goexperiment.simd

package ops

// bnSumsColumnsForBench is the column walk, whatever the width (BenchmarkBatchNormSumsPaths).
var bnSumsColumnsForBench = bnSumsColumns

// Times a model in ONNX Runtime (npm onnxruntime-node) on one input, as the peer of the ratio
// benchmarks (ratio_bench_test.go).
//
// Usage: node ort_time.js NODE_MODULES MODEL.onnx INPUT.f32 DIMS_JSON THREADS ITERATIONS
// NODE_MODULES holds onnxruntime-node; DIMS_JSON is the input's dimensions, e.g. "[1,256,256,3]".
// Runs the model ITERATIONS times with THREADS intra-op threads (graph optimizations on, no
// spinning) and prints one JSON line: {"ms": [per-inference times], "cpuMs": [per-inference
// process CPU times]}.
'use strict';
const fs = require('fs');
const path = require('path');

async function main() {
  const [modules, modelPath, inputPath, dimsArg, threadsArg, itersArg] = process.argv.slice(2);
  const ort = require(path.join(modules, 'onnxruntime-node'));
  const threads = parseInt(threadsArg, 10);
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const buf = fs.readFileSync(inputPath);
  const data = Float32Array.from(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4));
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, JSON.parse(dimsArg)) };
  const ms = [], cpuMs = [];
  for (let i = 0; i < Math.max(1, parseInt(itersArg, 10)); i++) {
    const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
    await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1e3);
  }
  process.stdout.write(JSON.stringify({ ms, cpuMs }) + '\n');
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });

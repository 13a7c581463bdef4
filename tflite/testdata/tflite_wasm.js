// Runs a .tflite model with TFLite compiled to WebAssembly (npm @tensorflow/tfjs-tflite, XNNPACK,
// single thread), as an independent executor for the Go translation's tests.
//
// Usage: node tflite_wasm.js WASM_DIR MODEL INPUT.f32 OUT_PREFIX ITERATIONS
// Reads the first input's float32 values from INPUT.f32, writes output i to OUT_PREFIX<i>.f32,
// and prints one JSON line: {"outputs":[{"name","shape"}...], "ms":[per-inference times], "cpuMs":[per-inference
// process CPU times]}.
'use strict';
const fs = require('fs');
const path = require('path');

async function main() {
  const [wasmDir, modelPath, inputPath, outPrefix, itersArg] = process.argv.slice(2);
  const factory = require(path.join(wasmDir, 'tflite_web_api_cc_simd.js'));
  const wasmBinary = fs.readFileSync(path.join(wasmDir, 'tflite_web_api_cc_simd.wasm'));
  const mod = await factory({wasmBinary});
  const model = new Uint8Array(fs.readFileSync(modelPath));
  const ptr = mod._malloc(model.length);
  mod.HEAPU8.set(model, ptr);
  const res = mod.TFLiteWebModelRunner.CreateFromBufferAndOptions(ptr, model.length, {
    numThreads: 1, enableProfiling: false, maxProfilingBufferEntries: 1024,
  });
  if (!res.ok()) throw new Error('create runner: ' + res.errorMessage());
  const runner = res.value();
  const inBuf = fs.readFileSync(inputPath);
  const x = new Float32Array(inBuf.buffer, inBuf.byteOffset, inBuf.length / 4);
  const inputs = runner.GetInputs();
  const input = inputs.get(0);
  const dst = input.data();
  if (dst.length !== x.length) throw new Error(`input has ${dst.length} values, file has ${x.length}`);
  dst.set(x);
  const ms = [], cpuMs = [];
  const iters = Math.max(1, parseInt(itersArg || '1', 10));
  for (let i = 0; i < iters; i++) {
    const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
    if (!runner.Infer()) throw new Error('infer failed');
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1e3);
  }
  const outs = runner.GetOutputs();
  const info = [];
  for (let i = 0; i < outs.size(); i++) {
    const o = outs.get(i);
    const d = o.data();
    fs.writeFileSync(outPrefix + i + '.f32', Buffer.from(d.buffer, d.byteOffset, d.byteLength));
    info.push({name: o.name, shape: String(o.shape).split(',').map(Number)});
  }
  process.stdout.write(JSON.stringify({outputs: info, ms, cpuMs}) + '\n');
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });

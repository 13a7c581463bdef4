// Runs TF.js pose-detection's MoveNet detector (Google's reference of MoveNet's crop-and-track
// and MultiPose logic) on the frames of a still image, for comparison with package movenet.
//
//   node posedetection_run.js NODE_MODULES MODEL_JSON MODEL_TYPE RGB H W FRAMES BACKEND MAXDIM
//
// RGB holds H·W·3 bytes (row-major RGB). MODEL_TYPE is SinglePose.Lightning, SinglePose.Thunder
// or MultiPose.Lightning. Smoothing is off; the same image is given FRAMES times, so that the
// single-person detector crops each frame from the previous one's keypoints. stdout gets
// {"frames": [[{"score", "keypoints": [[x, y, score], …], "box": [x, y, w, h]}, …], …]} in pixels.
'use strict';
const fs = require('fs');
const path = require('path');

async function main() {
  const [mods, modelJSON, modelType, rgbPath, h, w, frames, backend, maxDim] = process.argv.slice(2);
  const tf = require(path.join(mods, '@tensorflow/tfjs'));
  if (backend === 'wasm') {
    const wasm = require(path.join(mods, '@tensorflow/tfjs-backend-wasm'));
    wasm.setThreadsCount(1);
    wasm.setWasmPaths(path.join(mods, '@tensorflow/tfjs-backend-wasm/dist') + '/');
  }
  if (!(await tf.setBackend(backend))) throw new Error('backend ' + backend + ' unavailable');
  await tf.ready();
  // The MoveNet detector alone: the package's index also loads the MediaPipe BlazePose runtime.
  const movenet = require(path.join(mods, '@tensorflow-models/pose-detection/dist/movenet/detector'));
  const model = JSON.parse(fs.readFileSync(modelJSON));
  const specs = [], buffers = [];
  for (const g of model.weightsManifest) {
    specs.push(...g.weights);
    for (const p of g.paths) buffers.push(fs.readFileSync(path.join(path.dirname(modelJSON), p)));
  }
  const all = Buffer.concat(buffers);
  const handler = {
    load: async () => ({
      modelTopology: model.modelTopology, format: model.format, weightSpecs: specs,
      weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    }),
  };
  const detector = await movenet.load({
    modelType, modelUrl: handler, enableSmoothing: false, multiPoseMaxDimension: +maxDim,
  });
  const rgb = fs.readFileSync(rgbPath);
  const img = tf.tensor3d(Int32Array.from(rgb), [+h, +w, 3], 'int32');
  const out = [];
  for (let f = 0; f < +frames; f++) {
    const poses = await detector.estimatePoses(img);
    out.push(poses.map((p) => ({
      score: p.score,
      keypoints: p.keypoints.map((k) => [k.x, k.y, k.score]),
      box: p.box ? [p.box.xMin * +w, p.box.yMin * +h, p.box.width * +w, p.box.height * +h] : null,
    })));
  }
  process.stdout.write(JSON.stringify({ frames: out }) + '\n');
}
main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });

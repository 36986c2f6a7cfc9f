// Times ONNX Runtime (onnxruntime-node, CPU) on one model, for comparison
// with attnc in the same run.
//   node ort_run.js MODEL.onnx INPUTS.json REPEAT THREADS
// INPUTS.json: [{"name", "dtype" ("float32"|"int64"|"bool"), "dims", "file" (raw little-endian bytes)}]
// Prints one JSON line: {"median_ms": ..., "outputs": {name: [first values]}}
const fs = require('fs');
const path = require('path');
const ort = require(path.join(__dirname, '..', 'node_modules', 'onnxruntime-node'));

async function main() {
  const [model, inputsJson, repeatArg, threadsArg] = process.argv.slice(2);
  const repeat = parseInt(repeatArg || '10', 10);
  const threads = parseInt(threadsArg || '1', 10);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all'});
  const feeds = {};
  for (const input of JSON.parse(fs.readFileSync(inputsJson, 'utf8'))) {
    const bytes = fs.readFileSync(input.file);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    let data;
    if (input.dtype === 'float32') data = new Float32Array(buffer);
    else if (input.dtype === 'int64') data = new BigInt64Array(buffer);
    else if (input.dtype === 'bool') data = new Uint8Array(buffer);
    else throw new Error('unsupported dtype ' + input.dtype);
    feeds[input.name] = new ort.Tensor(input.dtype, data, input.dims);
  }
  await session.run(feeds);  // warm-up
  const times = [];
  let result;
  for (let i = 0; i < repeat; ++i) {
    const start = process.hrtime.bigint();
    result = await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const outputs = {};
  for (const [name, tensor] of Object.entries(result))
    outputs[name] = Array.from(tensor.data.slice(0, 4), Number);
  console.log(JSON.stringify({median_ms: times[Math.floor(times.length / 2)], outputs}));
}
main().catch((e) => { console.error('error: ' + e.message); process.exit(1); });

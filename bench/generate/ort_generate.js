// Greedy generation with ONNX Runtime (onnxruntime-node, CPU) on a decoder
// exported with a KV cache (make_decoder.py's interface), for comparison
// with `attnc generate` in the same run.
//   node ort_generate.js MODEL.onnx PROMPT_IDS(comma-separated) NEW_TOKENS THREADS HEADS HEAD_DIM
// Prints one JSON line: {"tokens": [...], "prefill_ms": ..., "decode_ms_per_token": ...}
const path = require('path');
const ort = require(path.join(__dirname, '..', 'node_modules', 'onnxruntime-node'));

function argmaxLast(logits) {
  const [, seq, vocab] = logits.dims;
  const data = logits.data;
  let best = 0;
  const base = (seq - 1) * vocab;
  for (let v = 1; v < vocab; ++v)
    if (data[base + v] > data[base + best]) best = v;
  return best;
}

async function main() {
  const [model, promptArg, newArg, threadsArg, headsArg, headDimArg] = process.argv.slice(2);
  const prompt = promptArg.split(',').map((t) => BigInt(t));
  const newTokens = parseInt(newArg, 10);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: parseInt(threadsArg || '1', 10), interOpNumThreads: 1,
    graphOptimizationLevel: 'all'});
  const pastNames = session.inputNames.filter((n) => n.startsWith('past_'));
  // Empty caches: [1, heads, 0, head_dim].
  const meta = {};
  const shape = [1, parseInt(headsArg, 10), 0, parseInt(headDimArg, 10)];
  for (const name of pastNames)
    meta[name] = new ort.Tensor('float32', new Float32Array(0), shape);
  let feeds = {input_ids: new ort.Tensor('int64', BigInt64Array.from(prompt), [1, prompt.length]),
               ...meta};
  const tokens = [];
  let start = process.hrtime.bigint();
  let result = await session.run(feeds);
  const prefillMs = Number(process.hrtime.bigint() - start) / 1e6;
  tokens.push(argmaxLast(result.logits));
  start = process.hrtime.bigint();
  for (let i = 1; i < newTokens; ++i) {
    feeds = {input_ids: new ort.Tensor('int64', BigInt64Array.from([BigInt(tokens[tokens.length - 1])]), [1, 1])};
    for (const name of pastNames)
      feeds[name] = result[name.replace('past_', 'present_')];
    result = await session.run(feeds);
    tokens.push(argmaxLast(result.logits));
  }
  const decodeMs = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(JSON.stringify({tokens, prefill_ms: prefillMs,
                              decode_ms_per_token: newTokens > 1 ? decodeMs / (newTokens - 1) : 0}));
}
main().catch((e) => { console.error('error: ' + e.message); process.exit(1); });

// tiny-lm: a character-level language model trained for a fixed budget of CPU time.
//
// A Bengio-style MLP: the previous CONTEXT characters are embedded, concatenated,
// passed through one tanh hidden layer, and a softmax predicts the next character.
// Trained with AdamW on random minibatches from the first 90% of data/input.txt,
// then scored on a fixed set of positions in the last 10% as val_bpb (bits per byte).
//
// Run: node train.js   (no dependencies; works whether Node loads it as CommonJS or ESM)
//
// Hyperparameters are the top-level constants below, one per line, so that a tool can
// change them with a regular expression. Keep each on its own line as `const NAME = value;`.

const TIME_BUDGET = 15;
const SEED = 1337;
const LEARNING_RATE = 0.001;
const BATCH_SIZE = 64;
const CONTEXT = 2;
const EMBED_DIM = 8;
const HIDDEN_DIM = 32;
const WEIGHT_DECAY = 0;
const INIT_SCALE = 1;
const WARMDOWN_FRAC = 0;
const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.99;

// ---------------------------------------------------------------------------
// Setup. `require` exists only under CommonJS; process.getBuiltinModule (Node >= 20.16)
// covers the case where a parent package.json says "type": "module".
const load = (id) => (typeof require === 'function' ? require(id) : process.getBuiltinModule(id));
const fs = load('node:fs');
const path = load('node:path');

// mulberry32: tiny, fast and good enough to make every run reproducible from SEED.
let rngState = SEED >>> 0;
function rand() {
  rngState = (rngState + 0x6d2b79f5) >>> 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function randn() {
  // Box-Muller; 1 - rand() keeps the log argument away from zero.
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

// The data is read relative to this script so that the working directory does not matter.
const dataPath = path.join(path.dirname(path.resolve(process.argv[1] || '.')), 'data', 'input.txt');
// The text is ASCII, so one character is one byte and bits per character are bits per byte.
const text = fs.readFileSync(dataPath, 'latin1');
const chars = Array.from(new Set(text)).sort();
const V = chars.length;
const index = new Map(chars.map((c, i) => [c, i]));
const ids = new Uint8Array(text.length);
for (let i = 0; i < text.length; i++) ids[i] = index.get(text[i]);
const splitAt = Math.floor(text.length * 0.9);

const B = BATCH_SIZE | 0;
const T = CONTEXT | 0;
const E = EMBED_DIM | 0;
const H = HIDDEN_DIM | 0;
const D = T * E;

// Parameters live in one flat array so that AdamW is a single loop over everything.
const sizes = { emb: V * E, w1: D * H, b1: H, w2: H * V, b2: V };
const offsets = {};
let numParams = 0;
for (const [k, n] of Object.entries(sizes)) { offsets[k] = numParams; numParams += n; }
const params = new Float32Array(numParams);
const grads = new Float32Array(numParams);
const adamM = new Float32Array(numParams);
const adamV = new Float32Array(numParams);
// Weight decay applies to the matrices only; shrinking biases and embeddings just hurts.
const decayMask = new Uint8Array(numParams);
decayMask.fill(1, offsets.w1, offsets.w1 + sizes.w1);
decayMask.fill(1, offsets.w2, offsets.w2 + sizes.w2);
const opt = { params, grads, m: adamM, v: adamV, decayMask };

// Named views into the flat arrays: net.w1 is the first-layer weights, grad.w1 its gradient.
const net = {};
const grad = {};
for (const k of Object.keys(sizes)) {
  net[k] = params.subarray(offsets[k], offsets[k] + sizes[k]);
  grad[k] = grads.subarray(offsets[k], offsets[k] + sizes[k]);
}

// Scaled by 1/sqrt(fan_in) so that INIT_SCALE = 1 keeps tanh inputs around unit variance.
for (let i = 0; i < net.emb.length; i++) net.emb[i] = randn();
for (let i = 0; i < net.w1.length; i++) net.w1[i] = (randn() * INIT_SCALE) / Math.sqrt(D);
for (let i = 0; i < net.w2.length; i++) net.w2[i] = (randn() * INIT_SCALE) / Math.sqrt(H);

// Activations for the largest batch we ever run (the evaluation's), allocated once.
const evalBatch = 256;
const maxB = Math.max(B, evalBatch);
const act = {
  xs: new Float32Array(maxB * D),
  hs: new Float32Array(maxB * H),
  probs: new Float32Array(maxB * V),
  dh: new Float32Array(maxB * H),
  ctx: new Int32Array(maxB * T),
  targets: new Int32Array(maxB),
};
const dims = { T, E, H, D, V };

// Forward pass over the first n examples in act.ctx / act.targets.
// Leaves softmax probabilities in `probs` and returns the summed loss in nats.
function forward(n) {
  // Local copies let V8 keep array bases and sizes in registers: about twice as fast.
  const { xs, hs, probs, ctx, targets } = act;
  const { emb, w1, b1, w2, b2 } = net;
  const { T, E, H, D, V } = dims;
  for (let b = 0; b < n; b++) {
    const xo = b * D;
    for (let t = 0; t < T; t++) {
      const eo = ctx[b * T + t] * E;
      for (let e = 0; e < E; e++) xs[xo + t * E + e] = emb[eo + e];
    }
    const ho = b * H;
    for (let j = 0; j < H; j++) hs[ho + j] = b1[j];
    // Row-times-matrix as a sum of scaled rows: the inner loop runs over contiguous memory.
    for (let i = 0; i < D; i++) {
      const xi = xs[xo + i];
      const wo = i * H;
      for (let j = 0; j < H; j++) hs[ho + j] += xi * w1[wo + j];
    }
    for (let j = 0; j < H; j++) hs[ho + j] = Math.tanh(hs[ho + j]);
  }
  let loss = 0;
  for (let b = 0; b < n; b++) {
    const po = b * V;
    const ho = b * H;
    for (let k = 0; k < V; k++) probs[po + k] = b2[k];
    for (let j = 0; j < H; j++) {
      const hj = hs[ho + j];
      const wo = j * V;
      for (let k = 0; k < V; k++) probs[po + k] += hj * w2[wo + k];
    }
    let max = -Infinity;
    for (let k = 0; k < V; k++) if (probs[po + k] > max) max = probs[po + k];
    // Loss from the logits (log-softmax), so a saturated softmax cannot turn it into Infinity.
    const zt = probs[po + targets[b]];
    let sum = 0;
    for (let k = 0; k < V; k++) { const p = Math.exp(probs[po + k] - max); probs[po + k] = p; sum += p; }
    for (let k = 0; k < V; k++) probs[po + k] /= sum;
    loss += max + Math.log(sum) - zt;
  }
  return loss;
}

// Backward pass for the batch just forwarded; gradients are of the mean loss.
function backward(n) {
  const { xs, hs, probs, dh, ctx, targets } = act;
  const { w1, w2 } = net;
  const { emb: gEmb, w1: gW1, b1: gB1, w2: gW2, b2: gB2 } = grad;
  const { T, E, H, D, V } = dims;
  grads.fill(0);
  const inv = 1 / n;
  for (let b = 0; b < n; b++) {
    const po = b * V;
    const ho = b * H;
    probs[po + targets[b]] -= 1; // dlogits = softmax - onehot
    for (let k = 0; k < V; k++) { probs[po + k] *= inv; gB2[k] += probs[po + k]; }
    for (let j = 0; j < H; j++) {
      const hj = hs[ho + j];
      const wo = j * V;
      let acc = 0;
      for (let k = 0; k < V; k++) {
        const g = probs[po + k];
        gW2[wo + k] += hj * g;
        acc += g * w2[wo + k];
      }
      dh[ho + j] = acc * (1 - hj * hj);
    }
  }
  for (let b = 0; b < n; b++) {
    const xo = b * D;
    const ho = b * H;
    for (let j = 0; j < H; j++) gB1[j] += dh[ho + j];
    for (let i = 0; i < D; i++) {
      const xi = xs[xo + i];
      const wo = i * H;
      let acc = 0;
      for (let j = 0; j < H; j++) {
        const g = dh[ho + j];
        gW1[wo + j] += xi * g;
        acc += g * w1[wo + j];
      }
      // Scatter the input gradient straight back into the embedding rows it came from.
      gEmb[ctx[b * T + ((i / E) | 0)] * E + (i % E)] += acc;
    }
  }
}

let step = 0;
function adamw(lr) {
  step++;
  const b1 = ADAM_BETA1, b2 = ADAM_BETA2;
  const c1 = 1 / (1 - Math.pow(b1, step));
  const c2 = 1 / (1 - Math.pow(b2, step));
  const decay = 1 - lr * WEIGHT_DECAY;
  const { params: w, grads: g, m, v, decayMask: mask } = opt;
  for (let i = 0; i < w.length; i++) {
    m[i] = b1 * m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    const p = mask[i] ? w[i] * decay : w[i];
    w[i] = p - (lr * m[i] * c1) / (Math.sqrt(v[i] * c2) + 1e-8);
  }
}

// Constant learning rate, then a linear decay to zero over the last WARMDOWN_FRAC of the budget.
function lrAt(progress) {
  if (WARMDOWN_FRAC <= 0 || progress < 1 - WARMDOWN_FRAC) return LEARNING_RATE;
  return LEARNING_RATE * Math.max(0, (1 - progress) / WARMDOWN_FRAC);
}

function fail(why) {
  console.log(why);
  console.log('FAIL');
  process.exit(1);
}

// ---------------------------------------------------------------------------
// Training: the clock starts after setup, as in autoresearch, so only the loop is budgeted. The clock is
// this process's CPU time, not the wall clock: runs that share the cores with other runs then train for
// as many steps as a run alone, so their scores compare. (On a GPU, autoresearch's wall clock does that.)
console.log(`vocab=${V} train_chars=${splitAt} val_chars=${text.length - splitAt} params=${numParams}`);
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const trainStart = cpuMs();
const budgetMs = TIME_BUDGET * 1000;
let smooth = 0;
let nextPrint = 750;
let elapsed = 0;
while (elapsed < budgetMs) {
  const progress = elapsed / budgetMs;
  for (let b = 0; b < B; b++) {
    const p = T + Math.floor(rand() * (splitAt - T));
    for (let t = 0; t < T; t++) act.ctx[b * T + t] = ids[p - T + t];
    act.targets[b] = ids[p];
  }
  const loss = forward(B) / B;
  if (!(loss < 100)) fail(`loss exploded: ${loss} at step ${step}`);
  backward(B);
  adamw(lrAt(progress));
  // train_loss is a bias-corrected EMA in bits per character, comparable with val_bpb.
  smooth = 0.98 * smooth + 0.02 * (loss / Math.LN2);
  elapsed = cpuMs() - trainStart;
  if (elapsed >= nextPrint) {
    const shown = smooth / (1 - Math.pow(0.98, step));
    console.log(`step=${step} progress=${Math.min(1, elapsed / budgetMs).toFixed(3)} train_loss=${shown.toFixed(4)}`);
    nextPrint += 750;
  }
}
const trainingSeconds = elapsed / 1000;

// ---------------------------------------------------------------------------
// Evaluation (do not tune): the same evenly spaced held-out positions for every config, so
// that val_bpb is comparable across runs. Contexts may reach back into the training text.
const valLen = text.length - splitAt;
const evalCount = Math.min(20000, valLen);
let nats = 0;
for (let start = 0; start < evalCount; start += evalBatch) {
  const n = Math.min(evalBatch, evalCount - start);
  for (let b = 0; b < n; b++) {
    const p = splitAt + Math.floor(((start + b) * valLen) / evalCount);
    for (let t = 0; t < T; t++) act.ctx[b * T + t] = ids[p - T + t];
    act.targets[b] = ids[p];
  }
  nats += forward(n);
}
const valBpb = nats / evalCount / Math.LN2;
if (!Number.isFinite(valBpb)) fail(`val_bpb=${valBpb}`);

// process.resourceUsage().maxRSS is in kilobytes; there is no GPU, so peak RSS stands in for VRAM.
const peakMb = process.resourceUsage().maxRSS / 1024;
console.log('---');
console.log(`val_bpb: ${valBpb.toFixed(6)}`);
console.log(`training_seconds: ${trainingSeconds.toFixed(1)}`);
console.log(`total_seconds: ${process.uptime().toFixed(1)}`);
console.log(`peak_vram_mb: ${peakMb.toFixed(1)}`);
console.log(`num_steps: ${step}`);
console.log(`num_params_M: ${(numParams / 1e6).toFixed(3)}`);

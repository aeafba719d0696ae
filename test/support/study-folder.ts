// Study folders for tests: a synthetic training script whose metric is a known function of its
// constants, so a test knows what the loop should find, and each run takes a fraction of a second.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SURROGATE_SCRIPT = `const LEARNING_RATE = 0.01;
const WIDTH = 16;
const MODE = 'ok';
const SLEEP_MS = 0;
// The metric is smallest at LEARNING_RATE = 10^-2.5 and WIDTH = 64, plus a little noise.
const noise = (Math.random() - 0.5) * 0.002;
const loss = (Math.log10(LEARNING_RATE) + 2.5) ** 2 + 0.05 * (Math.log2(WIDTH) - 6) ** 2 + 1 + noise;
for (let line = 1; line <= 60; line++) console.log('log line ' + line);
if (MODE === 'crash') { console.error('boom: the script crashed'); process.exit(3); }
if (MODE === 'hang') {
  const { spawn } = require('node:child_process');
  // Grandchildren that ignore SIGTERM: the agent must kill the whole process group.
  for (let i = 0; i < 2; i++) spawn('sh', ['-c', 'trap "" TERM; echo grandchild $$ >> grandchildren.txt; sleep 1000'], { stdio: 'inherit' });
  process.on('SIGTERM', () => {});
  setInterval(() => {}, 1000);
} else {
  setTimeout(() => {
    for (let step = 0; step < 3; step++) console.log('step=' + step + ' loss=' + (loss + 3 - step).toFixed(4));
    console.log('---');
    console.log('val_bpb: ' + loss.toFixed(6));
    console.log('peak_vram_mb: 2048.0');
  }, SLEEP_MS);
}
`;

export const SURROGATE_SPEC = `name: surrogate
flavor: training
workspace:
  mutable: [train.js]
objective:
  metric: val_bpb
  direction: minimize
run:
  command: node train.js
  budgetSeconds: 20
  graceSeconds: 2
repeats: 1
baselineRepeats: 3
mutator:
  kind: params
  seed: 3
  params:
    - { name: LEARNING_RATE, file: train.js, min: 0.0001, max: 1, scale: log, step: 2 }
    - { name: WIDTH, file: train.js, min: 4, max: 256, integer: true, scale: log, step: 2 }
`;

export async function makeStudyFolder(files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'autoresearch-study-'));
  const all = { 'train.js': SURROGATE_SCRIPT, 'study.yaml': SURROGATE_SPEC, ...files };
  for (const [path, content] of Object.entries(all)) await writeFile(join(dir, path), content);
  return dir;
}

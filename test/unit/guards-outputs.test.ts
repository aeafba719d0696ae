// Where a guard failure shows: results.tsv (a discard, with the guard and why), changelog.md (a Guards
// line and the failing guard's output), and the llm mutator's prompt (the guards as a rule, and the failed
// guard's output in its failure analysis).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { formatChangelog } from '../../services/controller/src/exports/changelog-md.js';
import { autoresearchStatus, formatResultsTsv } from '../../services/controller/src/exports/results-tsv.js';
import { systemPrompt, userPrompt } from '../../services/controller/src/mutators/llm/prompt.js';
import type { MutationContext } from '../../services/controller/src/mutators/mutator.js';
import { validateStudySpec } from '../../services/controller/src/spec/load-study-folder.js';
import type { DecisionStats, ExperimentRow } from '../../services/controller/src/store/schema.js';
import { SURROGATE_SPEC } from '../support/study-folder.js';

const spec = validateStudySpec(parse(SURROGATE_SPEC));
const stats = (guards: DecisionStats['guards']): DecisionStats => ({
  rule: 'noise-aware', delta: 0.4, sigma: 0.01, threshold: 0.02, nCandidate: 1, nHead: 3, candidateMean: 0.6, headMean: 1, pValue: 0.001, summary: 'Δ=-0.4 (better) → keep', guards,
});

function experiment(fields: Partial<ExperimentRow>): ExperimentRow {
  return {
    id: `e${fields.number}`, studyId: 's', branchId: 'b', number: 0, kind: 'candidate', parentRevisionId: 'p'.repeat(64),
    candidateRevisionId: 'c'.repeat(64), status: 'decided', outcome: 'discard', reason: null, hypothesis: '',
    variable: null, description: '', changeKey: 'k', diff: '', repeats: 1, stageReached: 0, stageVerdicts: [], score: null, peakMemoryMb: null,
    stats: null, edits: null, modelUsage: null, createdAt: new Date(0), decidedAt: new Date(0), ...fields,
  };
}

const guardFailed = experiment({
  number: 1, outcome: 'guard-failed', score: 0.6, peakMemoryMb: 2048, description: 'WIDTH 16 -> 4096',
  reason: 'guard "tests" failed on run 1 (exit code 1: AssertionError: too wide); the metric alone would have kept it: Δ=-0.4 (better) → keep',
  stats: stats([
    { name: 'tests', kind: 'command', passed: false, runs: 1, failure: { run: 1, reason: 'exit code 1: AssertionError: too wide' } },
    { name: 'memory', kind: 'maxPeakMemoryMb', passed: true, runs: 1 },
  ]),
});

describe('guard results in the outputs', () => {
  it('results.tsv: a discard with its score, and the guard and why in the description', () => {
    assert.equal(autoresearchStatus('guard-failed'), 'discard');
    const [, row] = formatResultsTsv(spec, [guardFailed]).trim().split('\n');
    assert.equal(row, 'ccccccc\t0.600000\t2.0\tdiscard\tWIDTH 16 -> 4096 (guard-failed: tests: exit code 1: AssertionError: too wide)');
  });

  it('changelog.md: a Guards line per experiment with guards, and the failing guard\'s output', () => {
    const kept = experiment({ number: 2, outcome: 'keep', score: 0.9, description: 'LR', stats: stats([
      { name: 'tests', kind: 'command', passed: true, runs: 2 },
      { name: 'memory', kind: 'maxPeakMemoryMb', passed: true, runs: 2, unmeasured: 1 },
    ]) });
    const md = formatChangelog({
      spec, experiments: [guardFailed, kept], runValues: new Map(), failureTails: new Map(),
      guardTails: new Map([['e1', { guard: 'tests', run: 1, tail: ['running 3 tests', 'AssertionError: too wide'] }]]),
    });
    assert.match(md, /## Experiment 1 — guard-failed\n[^#]*\*\*Result:\*\* guard "tests" failed on run 1 \(exit code 1: AssertionError: too wide\); the metric alone would have kept it/);
    assert.match(md, /\*\*Guards:\*\* tests FAILED on run 1: exit code 1: AssertionError: too wide; memory passed \(1 run\)/);
    assert.match(md, /\*\*Guard "tests" output\*\* \(run 1, last lines\):\n\n```\nrunning 3 tests\nAssertionError: too wide\n```/);
    assert.match(md, /## Experiment 2 — keep\n[^#]*\*\*Guards:\*\* tests passed \(2 runs\); memory passed \(2 runs; not measured on 1\)/);
  });

  it('the mutator is told the guards, and sees a failed guard\'s output as that guard\'s', () => {
    const ctx: MutationContext = {
      studyId: 's', branchIndex: 0, head: { revisionId: 'head', score: 1, files: { 'train.js': 'const WIDTH = 16;\n' } },
      triedFromHead: new Set(), objective: { metric: 'val_bpb', direction: 'minimize' }, mutablePaths: ['train.js'], instructions: null,
      guards: ['tests: `node test.js` must exit 0 within 60 s, run after the experiment in its directory'],
      history: [{ number: 1, outcome: 'guard-failed', hypothesis: 'h', variable: 'WIDTH', description: 'WIDTH 16 -> 4096', changeKey: 'k', score: 0.6, parentRevisionId: 'head', reason: guardFailed.reason }],
      evidence: [{ experimentNumber: 1, outcome: 'guard-failed', reason: guardFailed.reason, logTail: ['running 3 tests', 'AssertionError: too wide'], guard: 'tests', curves: {} }],
    };
    assert.match(systemPrompt(ctx, 40)[0]!.text, /8\. Every run must also pass these guards; a change that fails one is discarded \(guard-failed\) however much it improves the metric:\n {3}- tests: `node test\.js` must exit 0 within 60 s/);
    const user = userPrompt(ctx, 30);
    assert.match(user, /Failures: 1 of 1 decided experiments \(1 guard-failed\)/);
    assert.match(user, /Experiment #1 \(guard-failed\): guard "tests" failed on run 1 .*\nOutput of guard "tests", which it failed:\n```+\nrunning 3 tests\nAssertionError: too wide\n```/);
  });
});

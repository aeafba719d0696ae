import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { formatChangelog } from '../../services/controller/src/exports/changelog-md.js';
import { autoresearchStatus, formatResultsTsv } from '../../services/controller/src/exports/results-tsv.js';
import { validateStudySpec } from '../../services/controller/src/spec/load-study-folder.js';
import type { ExperimentRow } from '../../services/controller/src/store/schema.js';
import { SURROGATE_SPEC } from '../support/study-folder.js';

const spec = validateStudySpec(parse(SURROGATE_SPEC));

function experiment(fields: Partial<ExperimentRow>): ExperimentRow {
  return {
    id: `e${fields.number}`, studyId: 's', branchId: 'b', number: 0, kind: 'candidate', parentRevisionId: 'p'.repeat(64),
    candidateRevisionId: 'c'.repeat(64), status: 'decided', outcome: 'discard', reason: null, hypothesis: '',
    variable: null, description: '', changeKey: 'k', diff: '', repeats: 1, stageReached: 0, stageVerdicts: [], score: null, peakMemoryMb: null,
    stats: null, edits: null, modelUsage: null, createdAt: new Date(0), decidedAt: new Date(0), ...fields,
  };
}

describe('results.tsv', () => {
  it("writes autoresearch's columns, one row per decided experiment, in number order", () => {
    const tsv = formatResultsTsv(spec, [
      experiment({ number: 2, outcome: 'crash', score: null, peakMemoryMb: 900, description: 'WIDTH 16 -> 32', candidateRevisionId: 'b2'.repeat(32) }),
      experiment({ number: 0, outcome: 'baseline', score: 0.9979, peakMemoryMb: 45060.2, description: 'baseline', changeKey: null, candidateRevisionId: 'a0c3'.repeat(16) }),
      experiment({ number: 1, outcome: 'keep', score: 0.99321, peakMemoryMb: 46080, description: 'LEARNING_RATE 0.01 -> 0.02', candidateRevisionId: 'a1'.repeat(32) }),
      experiment({ number: 3, status: 'pending', outcome: null, description: 'in flight' }),
      experiment({ number: 4, outcome: 'timeout', reason: 'exceeded budget 20s + grace 2s', description: 'MODE ok -> hang' }),
    ]);
    assert.equal(tsv, [
      'commit\tval_bpb\tmemory_gb\tstatus\tdescription',
      'a0c3a0c\t0.997900\t44.0\tkeep\tbaseline',
      'a1a1a1a\t0.993210\t45.0\tkeep\tLEARNING_RATE 0.01 -> 0.02',
      'b2b2b2b\t0.000000\t0.0\tcrash\tWIDTH 16 -> 32',
      'ccccccc\t0.000000\t0.0\tcrash\tMODE ok -> hang (timeout: exceeded budget 20s + grace 2s)',
      '',
    ].join('\n'));
  });

  it('keeps tabs and newlines out of descriptions', () => {
    const tsv = formatResultsTsv(spec, [experiment({ number: 0, outcome: 'discard', score: 1, description: 'a\tb\nc' })]);
    assert.equal(tsv.split('\n')[1]!.split('\t').length, 5);
  });

  it('maps every outcome onto keep, discard or crash', () => {
    assert.deepEqual(
      (['baseline', 'keep', 'discard', 'crash', 'timeout', 'invalid', 'stopped'] as const).map(autoresearchStatus),
      ['keep', 'keep', 'discard', 'crash', 'crash', 'crash', 'crash'],
    );
  });
});

describe('changelog.md', () => {
  it('has a section per decided experiment with score, change, reasoning, result and failing output', () => {
    const md = formatChangelog({
      spec,
      experiments: [
        experiment({ number: 0, outcome: 'baseline', score: 1.5, changeKey: null, description: 'baseline', reason: 'baseline val_bpb=1.5' }),
        experiment({ number: 1, outcome: 'crash', description: 'WIDTH 16 -> 32', hypothesis: 'Wider may help', reason: '1 of 1 run failed', diff: '--- a/train.js\n+++ b/train.js\n' }),
      ],
      runValues: new Map([['e0', [1.4, 1.5, 1.6]]]),
      failureTails: new Map([['e1', Array.from({ length: 80 }, (_, i) => `line ${i + 1}`)]]),
    });
    assert.match(md, /^# Changelog: surrogate/);
    assert.match(md, /## Experiment 0 — baseline\n\n\*\*Score:\*\* val_bpb 1\.500000 \(mean of 3 runs: 1\.400000, 1\.500000, 1\.600000\)/);
    assert.match(md, /\*\*Change:\*\* none: the unmodified workspace/);
    assert.match(md, /## Experiment 1 — crash\n\n\*\*Score:\*\* no val_bpb \(crash\)\n\*\*Change:\*\* WIDTH 16 -> 32\n\*\*Reasoning:\*\* Wider may help\n\*\*Result:\*\* 1 of 1 run failed/);
    assert.match(md, /```diff\n--- a\/train.js/);
    assert.ok(md.includes('line 31\n') && md.includes('line 80\n') && !md.includes('line 30\n'), 'the last 50 lines of the failing output');
  });
});

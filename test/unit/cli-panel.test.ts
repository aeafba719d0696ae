import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stripAnsi, truncateToWidth, visibleWidth } from '../../services/cli/src/view/ansi.js';
import { renderPanel, type PanelOptions } from '../../services/cli/src/view/panel.js';
import type { ExperimentLine, StudySnapshot } from '../../services/cli/src/view/study-snapshot.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function experiment(number: number, outcome: ExperimentLine['outcome'], score: number | null, description: string, reason: string | null): ExperimentLine {
  return { number, kind: number === 0 ? 'baseline' : 'candidate', status: outcome === null ? 'pending' : 'decided', outcome, score, description, reason, repeats: 1 };
}

function snapshot(overrides: Partial<StudySnapshot> = {}): StudySnapshot {
  return {
    name: 'surrogate',
    status: 'running',
    reason: null,
    spec: { flavor: 'training', objective: { metric: 'val_bpb', direction: 'minimize' } } as StudySnapshot['spec'],
    startedAt: T0,
    stoppedAt: null,
    experiments: [
      { ...experiment(0, 'baseline', 1.05, '', 'baseline: 3 runs, σ=0.0010'), repeats: 3 },
      experiment(1, 'keep', 1.02, 'LEARNING_RATE 0.01 → 0.005', 'better by 0.030000'),
      experiment(2, 'discard', 1.04, 'WIDTH 16 → 32', 'not better than the head by more than 2σ'),
      experiment(3, 'crash', null, 'WIDTH 16 → 8', 'exit code 3: boom'),
      experiment(4, 'keep', 1.0, 'LEARNING_RATE 0.005 → 0.0025', 'better by 0.020000'),
      experiment(5, null, null, 'WIDTH 16 → 64', null),
      { ...experiment(6, null, null, 'LEARNING_RATE 0.0025 → 0.00125', null), repeats: 3 },
    ],
    runsInFlight: [
      { runId: 'r6', experimentNumber: 6, repeatIndex: 1, role: 'working', attempt: 1, slot: 'cpu:1', startedAt: T0 + 190_000 },
      { runId: 'r5', experimentNumber: 5, repeatIndex: 0, role: 'working', attempt: 1, slot: 'cpu:0', startedAt: null },
    ],
    slots: 2,
    notices: ['↻ #6 promising, not yet beyond the noise: 1 → 3 runs'],
    ...overrides,
  };
}

const OPTIONS: PanelOptions = { width: 100, height: null, colour: false, now: T0 + 200_000, hint: 'Ctrl-C stops the study' };
const render = (s: StudySnapshot, options: Partial<PanelOptions> = {}) => renderPanel(s, { ...OPTIONS, ...options });

describe('renderPanel', () => {
  it('shows the study, the best with its sparkline, the runs in flight and the last decisions', () => {
    const lines = render(snapshot());
    assert.equal(lines[0], 'surrogate · running · 3m20s · 5 experiments decided, 2 pending · slots 2/2 busy');
    assert.equal(lines[1], 'best val_bpb 1.000000 (#4) · first 1.050000');
    assert.equal(lines[2], '  ▁▅▅▅█', 'the running best after each decision, taller as it falls');
    assert.deepEqual(lines.slice(3, 6), [
      'in flight  run  slot   elapsed',
      '  #5       1/1  cpu:0  starting',
      '  #6       2/3  cpu:1  10s',
    ]);
    assert.equal(lines[6], 'last decisions');
    assert.deepEqual(lines.slice(7, 12).map((l) => l.split('  ').filter(Boolean)[0]!.trim().split(' ')[0]), ['#4', '#3', '#2', '#1', '#0'], 'newest first');
    assert.match(lines[7]!, /#4 keep +1\.000000 {2}LEARNING_RATE 0\.005 → 0\.0025 · better by 0\.020000$/);
    assert.match(lines[8]!, /#3 crash +n\/a {2}WIDTH 16 → 8 · exit code 3: boom$/);
    assert.match(lines[11]!, /#0 baseline 1\.050000 {2}baseline: 3 runs, σ=0\.0010$/);
    assert.deepEqual(lines.slice(12), ['↻ #6 promising, not yet beyond the noise: 1 → 3 runs', 'Ctrl-C stops the study']);
  });

  it('shows a skill study\'s pass rates as percentages, taller as they rise', () => {
    const skill = snapshot({
      spec: { flavor: 'skill', objective: { metric: 'pass_rate', direction: 'maximize' } } as StudySnapshot['spec'],
      experiments: [experiment(0, 'baseline', 0.25, '', 'baseline'), experiment(1, 'keep', 0.5, 'add a rule', 'better'), experiment(2, 'keep', 1, 'add an example', 'better')],
      runsInFlight: [],
    });
    const lines = render(skill);
    assert.equal(lines[1], 'best pass_rate 100.0% (#2) · first 25.0%');
    assert.equal(lines[2], '  ▁▃█');
    assert.equal(lines[3], 'in flight: none');
    assert.match(lines.find((l) => l.includes('#1 '))!, /#1 keep +50\.0%/);
  });

  it('says so when nothing is decided yet, and counts runs in flight when the slots are not known', () => {
    const lines = render(snapshot({ experiments: [experiment(0, null, null, '', null)], slots: null, notices: [] }));
    assert.match(lines[0]!, /0 experiments decided, 1 pending · 2 runs in flight$/);
    assert.equal(lines[1], 'best val_bpb: none yet');
    assert.ok(lines.includes('  none yet'));
  });

  it('shows a stopped study\'s reason last, the time it ran, not the time since, and no hint', () => {
    const lines = render(snapshot({ status: 'completed', reason: 'reached maxExperiments (5)', stoppedAt: T0 + 65_000, runsInFlight: [] }), { now: T0 + 3_600_000, width: 120 });
    assert.equal(lines[0], 'surrogate · completed · 1m05s · 5 experiments decided, 2 pending · slots 0/2 busy · reached maxExperiments (5)');
    assert.equal(lines.at(-1), '↻ #6 promising, not yet beyond the noise: 1 → 3 runs', 'what Ctrl-C does no longer matters');
  });

  it('cuts every line to the width', () => {
    for (const width of [20, 37, 60]) {
      const lines = render(snapshot(), { width });
      for (const line of lines) assert.ok(visibleWidth(line) <= width, `"${line}" is wider than ${width}`);
      assert.ok(lines[0]!.endsWith('…'));
      assert.equal([...lines[2]!].length, 7, 'the sparkline is only as long as the series');
    }
    const long = snapshot({ experiments: Array.from({ length: 300 }, (_, i) => experiment(i, i === 0 ? 'baseline' : 'keep', 2 - i / 300, `change ${i}`, 'better')) });
    assert.equal([...render(long, { width: 50 })[2]!].length, 50, 'a long series fills the width');
  });

  it('stays shorter than the terminal, keeping at least three decisions', () => {
    assert.equal(render(snapshot(), { height: 12 }).length, 11);
    const tall = render(snapshot(), { height: 50 });
    assert.equal(tall.length, 14, 'every decision fits');
    const many = snapshot({ experiments: Array.from({ length: 40 }, (_, i) => experiment(i, i === 0 ? 'baseline' : 'discard', 1, `change ${i}`, 'no')) });
    assert.equal(render(many, { height: 100 }).filter((l) => /^ {2}#\d+ /.test(l) && !l.includes('cpu:')).length, 10, 'ten decisions at most');
  });

  it('paints only when colour is on, with the same text either way', () => {
    const plain = render(snapshot(), { colour: false });
    const painted = render(snapshot(), { colour: true });
    assert.ok(plain.every((l) => !l.includes('\u001b')));
    assert.ok(painted.some((l) => l.includes('\u001b[32mkeep')));
    assert.deepEqual(painted.map(stripAnsi), plain);
  });
});

describe('truncateToWidth', () => {
  it('cuts to the width with an ellipsis, leaving short text alone', () => {
    assert.equal(truncateToWidth('abcdef', 4), 'abc…');
    assert.equal(truncateToWidth('abcd', 4), 'abcd');
    assert.equal(truncateToWidth('▁▂▃▄▅', 3), '▁▂…');
    assert.equal(truncateToWidth('abc', 0), '');
  });

  it('keeps colour codes whole, counts none of them, and closes a colour it cut', () => {
    const red = '\u001b[31mabcdef\u001b[0m';
    assert.equal(truncateToWidth(red, 10), red);
    assert.equal(truncateToWidth(red, 4), '\u001b[31mabc…\u001b[0m');
    assert.equal(stripAnsi(truncateToWidth(`x${red}y`, 5)), 'xabc…');
  });
});

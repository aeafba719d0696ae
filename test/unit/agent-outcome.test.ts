import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideRunOutcome, finiteMetrics, type RunFacts } from '../../services/agent/src/outcome.js';
import type { CommandResult } from '../../services/agent/src/run-command.js';

const exited = (overrides: Partial<CommandResult> = {}): CommandResult => ({
  ending: 'exited',
  exitCode: 0,
  signal: null,
  killedAfterGrace: false,
  startedAt: 1,
  finishedAt: 2,
  peakMemoryMb: 10,
  ...overrides,
});

const facts = (overrides: Partial<RunFacts> = {}): RunFacts => ({
  command: exited(),
  budgetSeconds: 40,
  graceSeconds: 5,
  objectiveMetric: 'val_bpb',
  metrics: new Map([['val_bpb', 0.99]]),
  printedFail: false,
  ...overrides,
});

describe('decideRunOutcome', () => {
  it('succeeds on exit 0 with a finite objective metric', () => {
    assert.deepEqual(decideRunOutcome(facts()), { status: 'succeeded' });
  });

  it('is a timeout when the budget ran out, whatever the exit', () => {
    assert.deepEqual(decideRunOutcome(facts({ command: exited({ ending: 'budget', exitCode: null, signal: 'SIGKILL', killedAfterGrace: true }) })), {
      status: 'timeout',
      reason: 'exceeded budget 40s + grace 5s',
    });
    const ended = decideRunOutcome(facts({ command: exited({ ending: 'budget', signal: 'SIGTERM', exitCode: null }) }));
    assert.equal(ended.status, 'timeout');
    assert.match(ended.reason!, /exceeded budget 40s \(ended after SIGTERM/);
  });

  it('is stopped when stopped on request, with the reason', () => {
    assert.deepEqual(decideRunOutcome(facts({ command: exited({ ending: 'stopped', signal: 'SIGTERM' }), stopReason: 'early-stopped: below median' })), {
      status: 'stopped',
      reason: 'early-stopped: below median',
    });
    assert.deepEqual(decideRunOutcome(facts({ command: exited({ ending: 'stopped' }) })), { status: 'stopped', reason: 'stopped on request' });
  });

  it('crashes on a non-zero exit code, even with the metric', () => {
    assert.deepEqual(decideRunOutcome(facts({ command: exited({ exitCode: 3 }) })), { status: 'crashed', reason: 'exit code 3' });
  });

  it('explains shell exit codes above 128 as signals', () => {
    assert.match(decideRunOutcome(facts({ command: exited({ exitCode: 139 }) })).reason!, /^exit code 139 \(128 \+ SIGSEGV/);
  });

  it('crashes when killed by a signal', () => {
    assert.deepEqual(decideRunOutcome(facts({ command: exited({ exitCode: null, signal: 'SIGSEGV' }) })), { status: 'crashed', reason: 'killed by SIGSEGV' });
  });

  it('mentions a printed FAIL', () => {
    assert.deepEqual(decideRunOutcome(facts({ command: exited({ exitCode: 1 }), printedFail: true })), {
      status: 'crashed',
      reason: 'printed FAIL; exit code 1',
    });
  });

  it('crashes when the objective metric is missing, with the hint', () => {
    assert.deepEqual(decideRunOutcome(facts({ metrics: new Map([['loss', 1]]), missingHint: "(no '---' line before the summary)" })), {
      status: 'crashed',
      reason: "metric val_bpb not found in output (no '---' line before the summary)",
    });
  });

  it('crashes when the objective metric is not finite', () => {
    assert.deepEqual(decideRunOutcome(facts({ metrics: new Map([['val_bpb', Number.NaN]]) })), { status: 'crashed', reason: 'val_bpb is NaN' });
    assert.deepEqual(decideRunOutcome(facts({ metrics: new Map([['val_bpb', Number.POSITIVE_INFINITY]]) })), {
      status: 'crashed',
      reason: 'val_bpb is Infinity',
    });
  });

  it('succeeds but says so when another metric is not finite', () => {
    assert.deepEqual(decideRunOutcome(facts({ metrics: new Map([['val_bpb', 0.9], ['grad_norm', Number.NaN]]) })), {
      status: 'succeeded',
      reason: 'left out metrics that are not finite: grad_norm is NaN',
    });
  });

  it('crashes when the metrics could not be read', () => {
    assert.deepEqual(decideRunOutcome(facts({ metrics: new Map(), metricsProblem: 'metrics file m.json was not written' })), {
      status: 'crashed',
      reason: 'metrics file m.json was not written',
    });
  });

  it('crashes when the run could not be prepared or started', () => {
    assert.deepEqual(decideRunOutcome(facts({ setupProblem: 'path "../x" climbs out' })), {
      status: 'crashed',
      reason: 'could not prepare the run: path "../x" climbs out',
    });
    assert.equal(decideRunOutcome(facts({ command: exited({ spawnError: 'spawn ENOENT' }) })).reason, 'could not start the command: spawn ENOENT');
  });
});

describe('finiteMetrics', () => {
  it('leaves out NaN and infinities', () => {
    assert.deepEqual(finiteMetrics(new Map([['a', 1], ['b', Number.NaN], ['c', -Infinity], ['d', -2]])), { a: 1, d: -2 });
  });
});

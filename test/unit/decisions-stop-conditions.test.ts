import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  evaluateStopConditions,
  mayStartAnotherExperiment,
  type StopConditionsInput,
} from '../../services/controller/src/decisions/stop-conditions.js';

const STARTED = new Date('2025-06-01T00:00:00Z');
const minutesAfterStart = (minutes: number) => new Date(STARTED.getTime() + minutes * 60_000);

function input(overrides: Partial<StopConditionsInput>): StopConditionsInput {
  return {
    stop: {},
    objective: { metric: 'val_bpb', direction: 'minimize' },
    decidedExperiments: 5,
    bestScore: 1.25,
    startedAt: STARTED,
    now: minutesAfterStart(30),
    experimentsSinceLastKeep: 0,
    userRequested: false,
    ...overrides,
  };
}

describe('evaluateStopConditions', () => {
  it('goes on when no condition is set or met', () => {
    assert.deepEqual(evaluateStopConditions(input({})), { stop: false });
    assert.deepEqual(
      evaluateStopConditions(
        input({
          stop: { maxExperiments: 100, deadline: '2025-06-02T00:00:00Z', maxMinutes: 60, plateau: 10 },
          objective: { metric: 'val_bpb', direction: 'minimize', target: 1.2 },
          experimentsSinceLastKeep: 9,
        }),
      ),
      { stop: false },
    );
  });

  it('stops when the user asks, before anything else', () => {
    const verdict = evaluateStopConditions(
      input({ userRequested: true, stop: { maxExperiments: 1 }, objective: { metric: 'val_bpb', direction: 'minimize', target: 2 } }),
    );
    assert.deepEqual(verdict, { stop: true, condition: 'user', reason: 'stopped by the user' });
  });

  it('stops at the target when minimizing, at or below it', () => {
    const objective = { metric: 'val_bpb', direction: 'minimize' as const, target: 1.2 };
    assert.deepEqual(evaluateStopConditions(input({ objective, bestScore: 1.1873 })), {
      stop: true,
      condition: 'target',
      reason: 'target val_bpb ≤ 1.2 reached: best 1.1873',
    });
    assert.equal(evaluateStopConditions(input({ objective, bestScore: 1.2 })).stop, true);
    assert.equal(evaluateStopConditions(input({ objective, bestScore: 1.2001 })).stop, false);
  });

  it('stops at the target when maximizing, at or above it', () => {
    const objective = { metric: 'pass_rate', direction: 'maximize' as const, target: 0.95 };
    assert.deepEqual(evaluateStopConditions(input({ objective, bestScore: 0.9666666666666667 })), {
      stop: true,
      condition: 'target',
      reason: 'target pass_rate ≥ 0.95 reached: best 0.966667',
    });
    assert.equal(evaluateStopConditions(input({ objective, bestScore: 0.95 })).stop, true);
    assert.equal(evaluateStopConditions(input({ objective, bestScore: 0.9499 })).stop, false);
  });

  it('does not stop at the target before any score exists', () => {
    const objective = { metric: 'val_bpb', direction: 'minimize' as const, target: 10 };
    assert.deepEqual(evaluateStopConditions(input({ objective, bestScore: null })), { stop: false });
  });

  it('stops once max-experiments are decided, the baseline included', () => {
    assert.deepEqual(evaluateStopConditions(input({ stop: { maxExperiments: 20 }, decidedExperiments: 20 })), {
      stop: true,
      condition: 'max-experiments',
      reason: '20 experiments decided, the baseline included (max-experiments 20)',
    });
    assert.equal(evaluateStopConditions(input({ stop: { maxExperiments: 20 }, decidedExperiments: 19 })).stop, false);
    assert.equal(evaluateStopConditions(input({ stop: { maxExperiments: 1 }, decidedExperiments: 1 })).stop, true);
  });

  it('stops at the deadline, not before', () => {
    const stop = { deadline: '2025-06-01T08:00:00Z' };
    assert.deepEqual(evaluateStopConditions(input({ stop, now: new Date('2025-06-01T08:00:00Z') })), {
      stop: true,
      condition: 'deadline',
      reason: 'deadline 2025-06-01T08:00:00Z passed',
    });
    assert.equal(evaluateStopConditions(input({ stop, now: new Date('2025-06-01T07:59:59.999Z') })).stop, false);
  });

  it('reads deadlines with a time zone offset', () => {
    const stop = { deadline: '2025-06-01T10:00:00+02:00' };
    assert.equal(evaluateStopConditions(input({ stop, now: new Date('2025-06-01T08:00:00Z') })).stop, true);
    assert.equal(evaluateStopConditions(input({ stop, now: new Date('2025-06-01T07:59:00Z') })).stop, false);
  });

  it('refuses a deadline that is not a time', () => {
    assert.throws(() => evaluateStopConditions(input({ stop: { deadline: 'tomorrow' } })), /stop\.deadline "tomorrow" is not an RFC 3339 time/);
  });

  it('stops after max-minutes of wall time since the study began', () => {
    assert.deepEqual(evaluateStopConditions(input({ stop: { maxMinutes: 120 }, now: minutesAfterStart(120.25) })), {
      stop: true,
      condition: 'max-minutes',
      reason: 'ran for 120.3 minutes (max-minutes 120)',
    });
    assert.equal(evaluateStopConditions(input({ stop: { maxMinutes: 120 }, now: minutesAfterStart(120) })).stop, true);
    assert.equal(evaluateStopConditions(input({ stop: { maxMinutes: 120 }, now: minutesAfterStart(119.9) })).stop, false);
    assert.equal(evaluateStopConditions(input({ stop: { maxMinutes: 0.5 }, now: minutesAfterStart(0.5) })).stop, true);
  });

  it('stops on a plateau of experiments without a keep', () => {
    assert.deepEqual(evaluateStopConditions(input({ stop: { plateau: 10 }, experimentsSinceLastKeep: 10 })), {
      stop: true,
      condition: 'plateau',
      reason: '10 experiments in a row without a keep (plateau 10)',
    });
    assert.equal(evaluateStopConditions(input({ stop: { plateau: 10 }, experimentsSinceLastKeep: 9 })).stop, false);
  });

  it('reports the most telling condition when several are met', () => {
    const everything = input({
      stop: { maxExperiments: 5, deadline: '2025-06-01T00:10:00Z', maxMinutes: 10, plateau: 1 },
      objective: { metric: 'val_bpb', direction: 'minimize', target: 2 },
      decidedExperiments: 5,
      experimentsSinceLastKeep: 3,
    });
    const order = ['target', 'max-experiments', 'deadline', 'max-minutes', 'plateau'] as const;
    assert.equal(verdictCondition(evaluateStopConditions(everything)), order[0]);
    assert.equal(verdictCondition(evaluateStopConditions({ ...everything, objective: { metric: 'val_bpb', direction: 'minimize' } })), order[1]);
    assert.equal(
      verdictCondition(evaluateStopConditions({ ...everything, objective: { metric: 'val_bpb', direction: 'minimize' }, decidedExperiments: 4 })),
      order[2],
    );
    assert.equal(
      verdictCondition(
        evaluateStopConditions({
          ...everything,
          objective: { metric: 'val_bpb', direction: 'minimize' },
          decidedExperiments: 4,
          stop: { ...everything.stop, deadline: undefined },
        }),
      ),
      order[3],
    );
    assert.equal(
      verdictCondition(
        evaluateStopConditions({
          ...everything,
          objective: { metric: 'val_bpb', direction: 'minimize' },
          decidedExperiments: 4,
          stop: { maxExperiments: 5, plateau: 1 },
        }),
      ),
      order[4],
    );
  });
});

function verdictCondition(verdict: ReturnType<typeof evaluateStopConditions>): string | null {
  return verdict.stop ? verdict.condition : null;
}

describe('mayStartAnotherExperiment', () => {
  it('allows any number without max-experiments', () => {
    assert.equal(mayStartAnotherExperiment({}, 0), true);
    assert.equal(mayStartAnotherExperiment({ plateau: 3 }, 10_000), true);
  });

  it('never lets created experiments, the baseline included, pass the cap', () => {
    assert.equal(mayStartAnotherExperiment({ maxExperiments: 3 }, 0), true);
    assert.equal(mayStartAnotherExperiment({ maxExperiments: 3 }, 2), true);
    assert.equal(mayStartAnotherExperiment({ maxExperiments: 3 }, 3), false);
    assert.equal(mayStartAnotherExperiment({ maxExperiments: 3 }, 4), false);
    assert.equal(mayStartAnotherExperiment({ maxExperiments: 1 }, 1), false, 'only the baseline');
  });
});

describe('the ceiling: a score reached for several experiments in a row', () => {
  const skill = (scores: (number | null)[], consecutive = 3) =>
    evaluateStopConditions(input({
      stop: { ceiling: { value: 0.95, consecutive } },
      objective: { metric: 'pass_rate', direction: 'maximize' },
      decidedScores: scores.map((score, number) => ({ number, score })),
    }));

  it('stops at 95% for 3 experiments in a row, naming them', () => {
    assert.deepEqual(skill([0.25, 0.5, 1, 0.96875, 1]), {
      stop: true,
      condition: 'ceiling',
      reason: 'pass_rate ≥ 95% for 3 experiments in a row (#2 100%, #3 96.9%, #4 100%)',
    });
  });

  it('goes on while the streak is short, or broken by a lower score or a crash', () => {
    assert.deepEqual(skill([0.25, 1, 1]), { stop: false }, 'the newest two only');
    assert.deepEqual(skill([1, 1, 0.9, 1, 1]), { stop: false }, 'a 90% breaks the streak');
    assert.deepEqual(skill([1, 1, null, 1, 1]), { stop: false }, 'a crash breaks it too');
    assert.equal(skill([0.9, 1], 1).stop, true, 'consecutive is configurable');
  });

  it('works in the minimizing direction too', () => {
    const verdict = evaluateStopConditions(input({
      stop: { ceiling: { value: 1.0, consecutive: 2 } },
      decidedScores: [{ number: 0, score: 1.2 }, { number: 1, score: 0.99 }, { number: 2, score: 0.98 }],
    }));
    assert.equal(verdict.stop && verdict.condition, 'ceiling');
  });
});

// The agent's command guards, run for real in their own process groups: a pass, a failure with the last 50
// lines, a timeout, every guard running after a failure, a stop cutting them short, and their environment.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GuardAssignment } from '../../schemas/src/messages.js';
import { decideRunOutcome } from '../../services/agent/src/outcome.js';
import { runGuards } from '../../services/agent/src/run-guards.js';

let cwd: string;
before(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'agent-guards-'));
});
after(async () => {
  await rm(cwd, { recursive: true, force: true });
});

function start(guards: GuardAssignment[], env: Record<string, string> = { PATH: '/usr/bin:/bin' }) {
  const lines: string[] = [];
  const notes: string[] = [];
  const running = runGuards(guards, { cwd, env, onLine: (guard, _stream, text) => lines.push(`${guard}: ${text}`), onNote: (text) => notes.push(text) });
  return { running, lines, notes };
}

describe('command guards on the agent', () => {
  it('passes a guard that exits 0, with its output', async () => {
    const { running, lines, notes } = start([{ name: 'tests', command: 'echo "3 tests passed"', timeoutSeconds: 5 }]);
    const { results, interrupted } = await running.done;
    assert.equal(interrupted, false);
    assert.equal(results.length, 1);
    const [result] = results;
    assert.deepEqual({ ...result, durationMs: 0 }, { name: 'tests', passed: true, exitCode: 0, signal: null, timedOut: false, durationMs: 0, outputTail: ['3 tests passed'] });
    assert.deepEqual(lines, ['tests: 3 tests passed']);
    assert.ok(notes.some((note) => /^guard "tests" passed \(\d+\.\d s\)$/.test(note)), notes.join('\n'));
  });

  it('fails a guard that exits non-zero, keeping exactly its last 50 lines, each cut to 1000 characters', async () => {
    const command = 'for i in $(seq 1 79); do echo "line $i"; done; printf "%01500d\\n" 0; exit 2';
    const { running } = start([{ name: 'tests', command, timeoutSeconds: 5 }]);
    const [result] = (await running.done).results;
    assert.equal(result!.passed, false);
    assert.equal(result!.exitCode, 2);
    assert.equal(result!.reason, 'exit code 2');
    assert.equal(result!.outputTail.length, 50);
    assert.equal(result!.outputTail[0], 'line 31');
    assert.equal(result!.outputTail.at(-1)!.length, 1000);
    assert.ok(result!.outputTail.at(-1)!.endsWith('…'));
  });

  it('fails a guard past its timeout, killing its process group, and runs the next guard all the same', async () => {
    const { running } = start([
      { name: 'slow', command: 'echo started; sleep 30 & wait', timeoutSeconds: 0.3 },
      { name: 'after', command: 'echo ran', timeoutSeconds: 5 },
    ]);
    const began = Date.now();
    const { results } = await running.done;
    assert.ok(Date.now() - began < 4000, 'the sleeping child went with its group at the timeout');
    assert.deepEqual(results.map((r) => [r.name, r.passed, r.timedOut]), [['slow', false, true], ['after', true, false]]);
    assert.equal(results[0]!.reason, 'did not finish within its timeout of 0.3 s');
    assert.deepEqual(results[0]!.outputTail, ['started']);
  });

  it('a stop ends the running guard and starts no other: the outcome says it was cut short', async () => {
    const { running } = start([
      { name: 'first', command: 'true', timeoutSeconds: 5 },
      { name: 'long', command: 'sleep 30', timeoutSeconds: 60 },
      { name: 'never', command: 'echo never', timeoutSeconds: 5 },
    ]);
    setTimeout(() => running.stop(), 300);
    const { results, interrupted } = await running.done;
    assert.equal(interrupted, true);
    assert.deepEqual(results.map((r) => r.name), ['first']);
  });

  it('runs in the given directory with the given environment, and nothing else of the agent\'s', async () => {
    const { running } = start([{ name: 'env', command: 'pwd; env | sort', timeoutSeconds: 5 }], { PATH: '/usr/bin:/bin', HOME: cwd, SEED: '7' });
    const [result] = (await running.done).results;
    assert.equal(result!.outputTail[0], cwd);
    const names = result!.outputTail.slice(1).map((line) => line.split('=')[0]).filter((name) => !['PWD', 'SHLVL', '_', 'OLDPWD'].includes(name!));
    assert.deepEqual(names, ['HOME', 'PATH', 'SEED']);
  });

  it('reports a guard whose command is not found as failed, with the shell\'s complaint from stderr', async () => {
    const { running } = start([{ name: 'missing', command: './no-such-check', timeoutSeconds: 5 }]);
    const [result] = (await running.done).results;
    assert.equal(result!.passed, false);
    assert.equal(result!.exitCode, 127);
    assert.match(result!.outputTail.join('\n'), /no-such-check/);
  });

  it('a run whose guards a stop cut short is stopped, not succeeded: a success needs their verdict', () => {
    const command = { ending: 'exited', exitCode: 0, signal: null, killedAfterGrace: false, startedAt: 0, finishedAt: 1, peakMemoryMb: null } as const;
    const facts = { budgetSeconds: 10, graceSeconds: 1, objectiveMetric: 'loss', metrics: new Map([['loss', 1]]), printedFail: false, command };
    assert.deepEqual(decideRunOutcome(facts), { status: 'succeeded' });
    assert.deepEqual(decideRunOutcome({ ...facts, guardsInterrupted: true, stopReason: 'stopped: study stopping' }), { status: 'stopped', reason: 'stopped: study stopping' });
  });
});

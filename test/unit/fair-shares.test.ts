import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entitledSlots } from '../../services/controller/src/scheduler/fair-shares.js';

const round = (shares: Map<string, number>) => Object.fromEntries([...shares].map(([id, n]) => [id, Math.round(n * 1000) / 1000]));

describe('entitledSlots', () => {
  it('splits contended slots in proportion to priority', () => {
    const shares = entitledSlots([
      { id: 'a', teamId: 't', priority: 1, demand: 10 },
      { id: 'b', teamId: 't', priority: 2, demand: 10 },
    ], 6, new Map([['t', null]]));
    assert.deepEqual(round(shares), { a: 2, b: 4 });
  });

  it('gives what a study cannot use to the others', () => {
    const shares = entitledSlots([
      { id: 'a', teamId: 't', priority: 1, demand: 1 },
      { id: 'b', teamId: 't', priority: 1, demand: 10 },
      { id: 'idle', teamId: 't', priority: 5, demand: 0 },
    ], 6, new Map([['t', null]]));
    assert.deepEqual(round(shares), { a: 1, b: 5, idle: 0 });
  });

  it("caps a team at its quota and shares the rest with other teams", () => {
    const shares = entitledSlots([
      { id: 'a1', teamId: 'alpha', priority: 1, demand: 10 },
      { id: 'a2', teamId: 'alpha', priority: 1, demand: 10 },
      { id: 'b', teamId: 'beta', priority: 1, demand: 10 },
    ], 9, new Map<string, number | null>([['alpha', 2], ['beta', null]]));
    assert.deepEqual(round(shares), { a1: 1, a2: 1, b: 7 });
  });

  it('hands out no more than there is', () => {
    const shares = entitledSlots([{ id: 'a', teamId: 't', priority: 1, demand: 3 }], 8, new Map([['t', null]]));
    assert.deepEqual(round(shares), { a: 3 });
  });
});

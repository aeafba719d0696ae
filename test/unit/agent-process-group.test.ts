import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseStat } from '../../services/agent/src/process-group.js';

describe('parseStat', () => {
  it('reads state, parent and group, even when the command name has spaces and parentheses', () => {
    assert.deepEqual(parseStat('1234 (my (weird) cmd) S 1 1234 1234 0 -1 4194560 100'), { state: 'S', ppid: 1, pgrp: 1234 });
  });

  it('returns null for something that is not a stat line', () => {
    assert.equal(parseStat('garbage'), null);
  });
});

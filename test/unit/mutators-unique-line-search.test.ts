import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uniqueLineSearch } from '../../services/controller/src/mutators/params/unique-line-search.js';

function occurrences(text: string, search: string): number {
  let count = 0;
  for (let at = text.indexOf(search); at !== -1; at = text.indexOf(search, at + 1)) count++;
  return count;
}

describe('uniqueLineSearch', () => {
  it('uses the line alone when it is unique', () => {
    assert.deepEqual(uniqueLineSearch('a\nLR = 1\nb\n', 1, 'LR = 2'), { search: 'LR = 1', replace: 'LR = 2' });
  });

  it('grows with the lines before it until the search is unique', () => {
    const source = 'LR = 1\nx\n    LR = 1\n';
    const edit = uniqueLineSearch(source, 0, 'LR = 2');
    // Line 0 has nothing before it, so the search grows forwards.
    assert.deepEqual(edit, { search: 'LR = 1\nx', replace: 'LR = 2\nx' });
    const later = 'x\nLR = 1\ny\ndef f():\n    LR = 1\n';
    assert.deepEqual(uniqueLineSearch(later, 1, 'LR = 2'), { search: 'x\nLR = 1', replace: 'x\nLR = 2' });
  });

  it('always ends unique, falling back to the whole file', () => {
    const source = 'A = 1\nA = 1\nA = 1';
    for (let line = 0; line < 3; line++) {
      const edit = uniqueLineSearch(source, line, 'A = 2');
      assert.equal(occurrences(source, edit.search), 1, `line ${line}: ${JSON.stringify(edit.search)}`);
      const after = source.replace(edit.search, edit.replace).split('\n');
      assert.equal(after[line], 'A = 2');
      assert.equal(after.filter((l) => l === 'A = 2').length, 1);
    }
  });

  it('keeps the \\r of a CRLF file outside the single-line search and inside a wider one', () => {
    assert.deepEqual(uniqueLineSearch('a\r\nLR = 1\r\n', 1, 'LR = 2'), { search: 'LR = 1', replace: 'LR = 2' });
    assert.deepEqual(uniqueLineSearch('a\r\nLR = 1\r\n  LR = 1\r\n', 1, 'LR = 2'), { search: 'a\r\nLR = 1\r', replace: 'a\r\nLR = 2\r' });
  });

  it('refuses a line past the end of the file', () => {
    assert.throws(() => uniqueLineSearch('a\n', 5, 'b'), /line 6 is past the end/);
  });
});

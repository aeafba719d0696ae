import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffRevisions } from '../../services/controller/src/revisions/diff.js';
import { languageOf, parseUnifiedDiff } from '../../services/dashboard/src/experiment/parse-diff.js';
import { parseRoute } from '../../services/dashboard/src/router.js';

describe("the dashboard's diff parser", () => {
  it("reads the controller's diffs into files and numbered lines", () => {
    const diff = diffRevisions(
      { 'train.py': 'LR = 0.01\nWIDTH = 16\nprint(LR)\n', 'notes.md': 'old\n' },
      { 'train.py': 'LR = 0.02\nWIDTH = 16\nprint(LR)\n', 'new.txt': 'hello' },
    );
    const files = parseUnifiedDiff(diff);
    assert.deepEqual(files.map((f) => f.path), ['new.txt', 'notes.md', 'train.py']);
    const train = files[2]!.lines;
    assert.equal(train[0]!.kind, 'hunk');
    assert.deepEqual(train.slice(1).map((l) => [l.kind, l.text, l.oldNumber, l.newNumber]), [
      ['del', 'LR = 0.01', 1, null],
      ['add', 'LR = 0.02', null, 1],
      ['context', 'WIDTH = 16', 2, 2],
      ['context', 'print(LR)', 3, 3],
    ]);
    assert.ok(files[0]!.lines.some((l) => l.kind === 'note'), 'no newline at the end of new.txt');
    assert.deepEqual(files[1]!.lines.filter((l) => l.kind === 'del').map((l) => l.text), ['old']);
  });

  it('keeps a removed line that looks like a file header inside a hunk', () => {
    const [file] = parseUnifiedDiff(diffRevisions({ 'a.sql': '-- comment\nSELECT 1;\n' }, { 'a.sql': 'SELECT 1;\n' }));
    assert.deepEqual(file!.lines.filter((l) => l.kind === 'del').map((l) => l.text), ['-- comment']);
  });

  it('picks a highlighting language by extension', () => {
    assert.equal(languageOf('train.py'), 'python');
    assert.equal(languageOf('skills/SKILL.md'), 'markdown');
    assert.equal(languageOf('Makefile'), null);
  });
});

describe("the dashboard's routes", () => {
  it('reads pages from the hash', () => {
    assert.deepEqual(parseRoute(''), { page: 'studies' });
    assert.deepEqual(parseRoute('#/'), { page: 'studies' });
    assert.deepEqual(parseRoute('#/queue'), { page: 'queue' });
    assert.deepEqual(parseRoute('#/studies/abc'), { page: 'study', studyId: 'abc' });
    assert.deepEqual(parseRoute('#/studies/abc/experiments/12'), { page: 'experiment', studyId: 'abc', number: 12 });
    assert.equal(parseRoute('#/studies/abc/experiments/x').page, 'not-found');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPatch, parsePatch } from 'diff';
import { diffRevisions } from '../../services/controller/src/revisions/diff.js';

const lines = (count: number, prefix = 'line') => Array.from({ length: count }, (_, i) => `${prefix} ${i + 1}\n`).join('');

/** Applies a multi-file diff back onto `before`, as `git apply` would. */
function replay(before: Record<string, string>, diff: string): Record<string, string> {
  const result = { ...before };
  for (const patch of parsePatch(diff)) {
    const oldPath = patch.oldFileName === '/dev/null' ? null : patch.oldFileName!.replace(/^a\//, '');
    const newPath = patch.newFileName === '/dev/null' ? null : patch.newFileName!.replace(/^b\//, '');
    if (newPath === null) {
      delete result[oldPath!];
      continue;
    }
    const applied = applyPatch(oldPath === null ? '' : result[oldPath]!, patch);
    assert.notEqual(applied, false, `the hunks of ${newPath} apply`);
    result[newPath] = applied as string;
  }
  return result;
}

describe('diffRevisions', () => {
  it('is empty when nothing changed', () => {
    assert.equal(diffRevisions({}, {}), '');
    assert.equal(diffRevisions({ 'train.py': 'a\n', 'b.py': 'b' }, { 'b.py': 'b', 'train.py': 'a\n' }), '');
  });

  it('shows a changed file with git headers and 3 lines of context', () => {
    const before = { 'train.py': lines(20) };
    const after = { 'train.py': lines(20).replace('line 10\n', 'LINE TEN\n') };
    assert.equal(
      diffRevisions(before, after),
      [
        'diff --git a/train.py b/train.py',
        '--- a/train.py',
        '+++ b/train.py',
        '@@ -7,7 +7,7 @@',
        ' line 7',
        ' line 8',
        ' line 9',
        '-line 10',
        '+LINE TEN',
        ' line 11',
        ' line 12',
        ' line 13',
        '',
      ].join('\n'),
    );
  });

  it('splits distant changes into hunks and merges close ones', () => {
    const original = lines(30);
    const far = original.replace('line 2\n', 'two\n').replace('line 25\n', 'twenty-five\n');
    assert.equal(diffRevisions({ f: original }, { f: far }).match(/^@@ /gm)?.length, 2);
    const near = original.replace('line 10\n', 'ten\n').replace('line 15\n', 'fifteen\n');
    assert.equal(diffRevisions({ f: original }, { f: near }).match(/^@@ /gm)?.length, 1);
  });

  it('shows an added file as created from /dev/null', () => {
    assert.equal(
      diffRevisions({}, { 'notes.md': 'hello\nworld\n' }),
      ['diff --git a/notes.md b/notes.md', 'new file mode 100644', '--- /dev/null', '+++ b/notes.md', '@@ -0,0 +1,2 @@', '+hello', '+world', ''].join('\n'),
    );
  });

  it('shows a removed file as deleted to /dev/null', () => {
    assert.equal(
      diffRevisions({ 'old.py': 'x = 1\n' }, {}),
      ['diff --git a/old.py b/old.py', 'deleted file mode 100644', '--- a/old.py', '+++ /dev/null', '@@ -1,1 +0,0 @@', '-x = 1', ''].join('\n'),
    );
  });

  it('shows an added empty file by its header alone, as git does', () => {
    assert.equal(diffRevisions({}, { 'empty.txt': '' }), 'diff --git a/empty.txt b/empty.txt\nnew file mode 100644\n');
  });

  it('marks a missing newline at the end of a file', () => {
    const diff = diffRevisions({ 'a.txt': 'one' }, { 'a.txt': 'two' });
    assert.match(diff, /-one\n\\ No newline at end of file\n\+two\n\\ No newline at end of file\n$/);
  });

  it('lists files in path order, one section each', () => {
    const diff = diffRevisions({ 'z.py': 'z\n', 'a/b.py': 'b\n', 'm.py': 'm\n' }, { 'z.py': 'Z\n', 'a/b.py': 'B\n', 'n.py': 'n\n' });
    const headers = diff.match(/^diff --git .*$/gm);
    assert.deepEqual(headers, ['diff --git a/a/b.py b/a/b.py', 'diff --git a/m.py b/m.py', 'diff --git a/n.py b/n.py', 'diff --git a/z.py b/z.py']);
  });

  it('replays onto the before files to give exactly the after files', () => {
    const before = { 'train.py': lines(40), 'SKILL.md': '# Skill\n\nDo X.\n', 'gone.txt': 'bye\n', 'same.py': 'same\n', 'nonl': 'a\nb' };
    const after = {
      'train.py': lines(40).replace('line 3\n', '').replace('line 30\n', 'line 30\nextra\n'),
      'SKILL.md': '# Skill\n\nDo X.\nDo NOT do Y.\n',
      'new/file.py': 'print(1)\n',
      'same.py': 'same\n',
      'nonl': 'a\nc',
    };
    assert.deepEqual(replay(before, diffRevisions(before, after)), after);
  });

  it('ignores inherited properties of the file records', () => {
    const before = Object.create({ inherited: 'x\n' }) as Record<string, string>;
    before['a.txt'] = 'a\n';
    assert.equal(diffRevisions(before, { 'a.txt': 'a\n' }), '');
  });
});

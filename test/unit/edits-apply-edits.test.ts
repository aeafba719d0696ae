import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEdits, EditError, type EditErrorCode } from '../../services/controller/src/mutators/edits/apply-edits.js';
import type { Edit } from '../../services/controller/src/mutators/mutator.js';

const FILES = {
  'train.py': 'LR = 0.003\nDEPTH = 8\nprint(LR)\n',
  'prepare.py': 'def evaluate_bpb(): ...\n',
  'SKILL.md': '# Skill\n\nDo X.\nDo X.\nDo X.\n',
  'src/model.py': 'WIDTH = 256\n',
};
const MUTABLE = ['train.py', 'SKILL.md', 'src/model.py'];

function editError(edits: Edit[], code: EditErrorCode, message: string | RegExp, files: Record<string, string> = FILES, mutable = MUTABLE): void {
  assert.throws(
    () => applyEdits(files, edits, mutable),
    (error: unknown) => {
      assert.ok(error instanceof EditError, `expected an EditError, got ${String(error)}`);
      assert.equal(error.code, code);
      if (typeof message === 'string') assert.equal(error.message, message);
      else assert.match(error.message, message);
      return true;
    },
  );
}

describe('applyEdits', () => {
  it('replaces the one match and returns a new object, leaving the input untouched', () => {
    const files = { ...FILES };
    const snapshot = structuredClone(files);
    const after = applyEdits(files, [{ path: 'train.py', search: 'LR = 0.003', replace: 'LR = 0.006' }], MUTABLE);
    assert.equal(after['train.py'], 'LR = 0.006\nDEPTH = 8\nprint(LR)\n');
    assert.equal(after['prepare.py'], FILES['prepare.py']);
    assert.notEqual(after, files);
    assert.deepEqual(files, snapshot);
    assert.deepEqual(Object.keys(after).sort(), Object.keys(FILES).sort());
  });

  it('applies edits in order, each to the result of the one before', () => {
    const after = applyEdits(
      FILES,
      [
        { path: 'train.py', search: 'LR = 0.003', replace: 'LR = 0.006' },
        { path: 'train.py', search: 'LR = 0.006\nDEPTH = 8', replace: 'LR = 0.006\nDEPTH = 12' },
        { path: 'src/model.py', search: '256', replace: '512' },
      ],
      MUTABLE,
    );
    assert.equal(after['train.py'], 'LR = 0.006\nDEPTH = 12\nprint(LR)\n');
    assert.equal(after['src/model.py'], 'WIDTH = 512\n');
  });

  it('writes the replacement literally, even with $ patterns in it', () => {
    const after = applyEdits(FILES, [{ path: 'train.py', search: 'print(LR)', replace: "print(f'$& $1 $$ $` cost')" }], MUTABLE);
    assert.equal(after['train.py'], "LR = 0.003\nDEPTH = 8\nprint(f'$& $1 $$ $` cost')\n");
  });

  it('can delete text', () => {
    const after = applyEdits(FILES, [{ path: 'train.py', search: 'print(LR)\n', replace: '' }], MUTABLE);
    assert.equal(after['train.py'], 'LR = 0.003\nDEPTH = 8\n');
  });

  it('accepts an edit that changes nothing among others that do', () => {
    const after = applyEdits(
      FILES,
      [
        { path: 'train.py', search: 'DEPTH = 8', replace: 'DEPTH = 8' },
        { path: 'train.py', search: 'LR = 0.003', replace: 'LR = 0.001' },
      ],
      MUTABLE,
    );
    assert.equal(after['train.py'], 'LR = 0.001\nDEPTH = 8\nprint(LR)\n');
  });

  it('fills an empty file from an empty search', () => {
    const after = applyEdits({ 'notes.md': '' }, [{ path: 'notes.md', search: '', replace: 'hello\n' }], ['notes.md']);
    assert.deepEqual(after, { 'notes.md': 'hello\n' });
  });

  it('treats a mutable folder as covering the files under it', () => {
    const after = applyEdits(FILES, [{ path: 'src/model.py', search: '256', replace: '128' }], ['src']);
    assert.equal(after['src/model.py'], 'WIDTH = 128\n');
  });

  it('keeps a file named __proto__ as a plain entry', () => {
    const files = JSON.parse('{"__proto__": "a = 1\\n"}') as Record<string, string>;
    const after = applyEdits(files, [{ path: '__proto__', search: '1', replace: '2' }], ['__proto__']);
    assert.ok(Object.hasOwn(after, '__proto__'));
    assert.equal(after['__proto__'], 'a = 2\n');
    assert.equal(Object.getPrototypeOf(after), Object.prototype);
  });
});

describe('applyEdits: errors', () => {
  it('SEARCH_AMBIGUOUS names the edit, the file and the count', () => {
    editError(
      [
        { path: 'train.py', search: 'LR = 0.003', replace: 'LR = 0.006' },
        { path: 'SKILL.md', search: 'Do X.', replace: 'Do Y.' },
      ],
      'SEARCH_AMBIGUOUS',
      'edits[1] (SKILL.md): search text found 3 times; it must match exactly once',
    );
  });

  it('counts overlapping matches as ambiguous', () => {
    editError([{ path: 'a.txt', search: 'aa', replace: 'b' }], 'SEARCH_AMBIGUOUS', /found 2 times/, { 'a.txt': 'aaa' }, ['a.txt']);
  });

  it('refuses an empty search in a file with content', () => {
    editError([{ path: 'train.py', search: '', replace: 'x' }], 'SEARCH_AMBIGUOUS', 'edits[0] (train.py): the search text is empty; it must match exactly once');
  });

  it('SEARCH_NOT_FOUND quotes the start of the search', () => {
    editError([{ path: 'train.py', search: 'LR = 0.3', replace: 'x' }], 'SEARCH_NOT_FOUND', 'edits[0] (train.py): search text not found: "LR = 0.3"');
    editError([{ path: 'train.py', search: 'nope\nmore', replace: 'x' }], 'SEARCH_NOT_FOUND', 'edits[0] (train.py): search text not found: "nope…"');
    editError([{ path: 'train.py', search: 'x'.repeat(100), replace: 'y' }], 'SEARCH_NOT_FOUND', new RegExp(`"${'x'.repeat(80)}…"$`));
  });

  it('matches against the result of earlier edits, not the original', () => {
    editError(
      [
        { path: 'train.py', search: 'LR = 0.003', replace: 'LR = 0.006' },
        { path: 'train.py', search: 'LR = 0.003', replace: 'LR = 0.001' },
      ],
      'SEARCH_NOT_FOUND',
      /^edits\[1\] \(train\.py\)/,
    );
  });

  it('READ_ONLY_FILE for a file outside the mutable list, existing or not', () => {
    editError(
      [{ path: 'prepare.py', search: '...', replace: 'return 0' }],
      'READ_ONLY_FILE',
      'edits[0] (prepare.py): the file is read-only; only train.py, SKILL.md, src/model.py may be changed',
    );
    // The caller may hold only the mutable files: a fixed file it left out is still "read-only".
    editError([{ path: 'prepare.py', search: 'a', replace: 'b' }], 'READ_ONLY_FILE', /read-only/, { 'train.py': 'a' }, ['train.py']);
    // A folder name is not a prefix of a sibling: "src" does not cover "srcs/x".
    editError([{ path: 'srcs/x.py', search: 'a', replace: 'b' }], 'READ_ONLY_FILE', /read-only/, { 'srcs/x.py': 'a' }, ['src']);
  });

  it('UNKNOWN_FILE for a mutable path with no file', () => {
    editError([{ path: 'train.py', search: 'a', replace: 'b' }], 'UNKNOWN_FILE', 'edits[0] (train.py): no such file in the workspace', {}, ['train.py']);
    editError([{ path: 'src/new.py', search: '', replace: 'x' }], 'UNKNOWN_FILE', /no such file/, FILES, ['src']);
  });

  it('PATH_OUTSIDE_WORKSPACE for absolute, escaping and unnormalized paths', () => {
    for (const path of ['../x', '/etc/passwd', 'a/../../b', '..', 'C:\\Windows\\win.ini', '\\\\server\\share', 'nul\0byte']) {
      editError([{ path, search: 'a', replace: 'b' }], 'PATH_OUTSIDE_WORKSPACE', /^edits\[0\] \(.*\): the path /s);
    }
    for (const [path, normal] of [
      ['./train.py', 'train.py'],
      ['src//model.py', 'src/model.py'],
      ['src/./model.py', 'src/model.py'],
      ['a/../train.py', 'train.py'],
      ['src\\model.py', 'src/model.py'],
      ['src/', 'src'],
    ]) {
      editError([{ path: path!, search: 'a', replace: 'b' }], 'PATH_OUTSIDE_WORKSPACE', `edits[0] (${path}): the path must be relative and normalized, like "${normal}"`);
    }
    editError([{ path: '', search: 'a', replace: 'b' }], 'PATH_OUTSIDE_WORKSPACE', /the path/);
    editError([{ path: '.', search: 'a', replace: 'b' }], 'PATH_OUTSIDE_WORKSPACE', /the path/);
  });

  it('checks the path before anything else, so an escaping path never reaches the file lookup', () => {
    editError([{ path: '../train.py', search: 'LR', replace: 'x' }], 'PATH_OUTSIDE_WORKSPACE', /escapes/);
  });

  it('EMPTY_CHANGE when no edit is given or every file ends as it began', () => {
    editError([], 'EMPTY_CHANGE', 'the 0 edits leave every file unchanged');
    editError([{ path: 'train.py', search: 'DEPTH = 8', replace: 'DEPTH = 8' }], 'EMPTY_CHANGE', 'the edit leaves every file unchanged');
    editError(
      [
        { path: 'train.py', search: 'LR = 0.003', replace: 'LR = 0.006' },
        { path: 'train.py', search: 'LR = 0.006', replace: 'LR = 0.003' },
      ],
      'EMPTY_CHANGE',
      'the 2 edits leave every file unchanged',
    );
  });

  it('carries the edit index, and null when the edits as a whole are at fault', () => {
    try {
      applyEdits(FILES, [{ path: 'train.py', search: 'LR = 0.003', replace: 'LR = 1' }, { path: 'x.py', search: 'a', replace: 'b' }], MUTABLE);
      assert.fail('expected an error');
    } catch (error) {
      assert.ok(error instanceof EditError);
      assert.equal(error.editIndex, 1);
      assert.equal(error.name, 'EditError');
    }
    try {
      applyEdits(FILES, [], MUTABLE);
      assert.fail('expected an error');
    } catch (error) {
      assert.ok(error instanceof EditError);
      assert.equal(error.editIndex, null);
    }
  });
});

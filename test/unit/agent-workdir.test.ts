import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InvalidAssignmentError, UnsafePathError } from '../../services/agent/src/errors.js';
import { splitRelativePath } from '../../services/agent/src/safe-path.js';
import { createWorkdir, removeWorkdir, writeRevisionFiles, type RevisionFile } from '../../services/agent/src/workdir.js';

const file = (path: string, content: string, mode = 0o644): RevisionFile => ({ path, mode, contentBase64: Buffer.from(content).toString('base64') });

describe('splitRelativePath', () => {
  it('splits a relative path', () => {
    assert.deepEqual(splitRelativePath('a/b/c.py'), ['a', 'b', 'c.py']);
    assert.deepEqual(splitRelativePath('..hidden'), ['..hidden']);
  });

  for (const [path, problem] of [
    ['/etc/passwd', /is absolute/],
    ['../x', /climbs out/],
    ['a/../../x', /climbs out/],
    ['a//b', /empty or '\.' segment/],
    ['./a', /empty or '\.' segment/],
    ['a/', /empty or '\.' segment/],
    ['', /is empty/],
    ['a\\..\\b', /backslash/],
    ['a\0b', /NUL/],
  ] as const) {
    it(`refuses ${JSON.stringify(path)}`, () => {
      assert.throws(() => splitRelativePath(path), (error: unknown) => error instanceof UnsafePathError && problem.test(error.message));
    });
  }
});

describe('workdir', () => {
  let workRoot: string;
  before(async () => {
    workRoot = await mkdtemp(join(tmpdir(), 'agent-workdir-test-'));
  });
  after(() => rm(workRoot, { recursive: true, force: true }));

  it('writes the files with their modes into a fresh directory, and removes it', async () => {
    const workdir = await createWorkdir(workRoot, 'run/../1');
    assert.ok(workdir.root.startsWith(join(workRoot, 'autoresearch-run-run____1-')));
    await writeRevisionFiles(workdir.dir, [file('train.py', 'print(1)\n'), file('bin/run.sh', '#!/bin/sh\n', 0o755), file('data/a/b.txt', '')]);
    assert.equal(await readFile(join(workdir.dir, 'train.py'), 'utf8'), 'print(1)\n');
    assert.equal((await stat(join(workdir.dir, 'bin/run.sh'))).mode & 0o777, 0o755);
    assert.equal((await stat(join(workdir.dir, 'train.py'))).mode & 0o777, 0o644);
    assert.equal(await readFile(join(workdir.dir, 'data/a/b.txt'), 'utf8'), '');
    assert.ok((await stat(workdir.tmpDir)).isDirectory());
    await removeWorkdir(workdir);
    assert.equal(existsSync(workdir.root), false);
  });

  it('drops set-id bits from modes', async () => {
    const workdir = await createWorkdir(workRoot, 'r');
    await writeRevisionFiles(workdir.dir, [file('x', 'x', 0o4755)]);
    assert.equal((await stat(join(workdir.dir, 'x'))).mode & 0o7777, 0o755);
  });

  it('refuses unsafe paths before writing anything', async () => {
    const workdir = await createWorkdir(workRoot, 'r');
    await assert.rejects(writeRevisionFiles(workdir.dir, [file('ok.txt', 'x'), file('../escape.txt', 'x')]), UnsafePathError);
    assert.equal(existsSync(join(workdir.dir, 'ok.txt')), false);
    assert.equal(existsSync(join(workdir.root, 'escape.txt')), false);
    await assert.rejects(writeRevisionFiles(workdir.dir, [file('/tmp/abs.txt', 'x')]), /is absolute/);
  });

  it('refuses to write through a symbolic link', async () => {
    const workdir = await createWorkdir(workRoot, 'r');
    await symlink(workRoot, join(workdir.dir, 'link'));
    await symlink(join(workRoot, 'target.txt'), join(workdir.dir, 'file-link'));
    await assert.rejects(writeRevisionFiles(workdir.dir, [file('link/x.txt', 'x')]), /goes through a symbolic link/);
    await assert.rejects(writeRevisionFiles(workdir.dir, [file('file-link', 'x')]), /is a symbolic link/);
    assert.equal(existsSync(join(workRoot, 'x.txt')), false);
    assert.equal(existsSync(join(workRoot, 'target.txt')), false);
  });

  it('refuses a path given twice and a file used as a folder', async () => {
    const workdir = await createWorkdir(workRoot, 'r');
    await assert.rejects(writeRevisionFiles(workdir.dir, [file('a', '1'), file('a', '2')]), InvalidAssignmentError);
    await assert.rejects(writeRevisionFiles(workdir.dir, [file('b', '1'), file('b/c', '2')]), /goes through a file as if it were a folder/);
  });

  it('refuses content that is not base64', async () => {
    const workdir = await createWorkdir(workRoot, 'r');
    await assert.rejects(
      writeRevisionFiles(workdir.dir, [{ path: 'x', mode: 0o644, contentBase64: 'not base64!' }]),
      /contentBase64 is not valid base64/,
    );
  });
});

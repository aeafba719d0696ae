// The skill run's code evals: regex, contains, length, json (inline schema and a schema file) and
// predicate (a module of the workspace, run in its own node process), each passing and failing, and the
// predicate's confinement, time limit and throws.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { evaluateJson } from '../../services/agent/src/skill/json-eval.js';
import { evaluatePredicate, type PredicateContext } from '../../services/agent/src/skill/predicate-eval.js';
import { evaluateContains, evaluateLength, evaluateRegex } from '../../services/agent/src/skill/text-evals.js';
import type { EvalOfKind } from '../../services/agent/src/skill/verdict.js';
import { isAlive } from '../support/agent-process.js';


async function until(condition: () => boolean, timeoutMs: number, explain: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${explain}`);
    await sleep(10);
  }
}

const regex = (over: Partial<EvalOfKind<'regex'>>): EvalOfKind<'regex'> => ({ name: 'r', kind: 'regex', pattern: 'x', flags: '', mustMatch: true, ...over });
const contains = (over: Partial<EvalOfKind<'contains'>>): EvalOfKind<'contains'> => ({ name: 'c', kind: 'contains', any: ['x'], mustContain: true, caseSensitive: false, ...over });
const length = (over: Partial<EvalOfKind<'length'>>): EvalOfKind<'length'> => ({ name: 'l', kind: 'length', unit: 'words', ...over });

describe('regex eval', () => {
  it('passes on a match with the matched text as evidence', () => {
    assert.deepEqual(evaluateRegex(regex({ pattern: '^## \\w+', flags: 'm' }), 'intro\n## Fixes\n- a'), { eval: 'r', pass: true, evidence: '## Fixes' });
  });

  it('fails without a match, and says so', () => {
    assert.deepEqual(evaluateRegex(regex({ pattern: 'summary', flags: '' }), 'Summary: x'), {
      eval: 'r', pass: false, evidence: 'no match', reason: 'the output does not match /summary/',
    });
    assert.equal(evaluateRegex(regex({ pattern: 'summary', flags: 'i' }), 'Summary: x').pass, true);
  });

  it('with mustMatch false, passes without a match and fails on one, quoting it', () => {
    const noNumbered = regex({ pattern: '^\\d+\\. ', flags: 'm', mustMatch: false });
    assert.deepEqual(evaluateRegex(noNumbered, '- a\n- b'), { eval: 'r', pass: true, evidence: 'no match' });
    const verdict = evaluateRegex(noNumbered, '- a\n2. b');
    assert.equal(verdict.pass, false);
    assert.equal(verdict.evidence, '2. ');
    assert.match(verdict.reason!, /matches \/\^\\d\+\\\. \/m, which it must not/);
  });

  it('fails with the reason on a pattern that does not compile', () => {
    const verdict = evaluateRegex(regex({ pattern: '(' }), 'x');
    assert.equal(verdict.pass, false);
    assert.match(verdict.reason!, /invalid regular expression/);
  });
});

describe('contains eval', () => {
  it('passes when any string occurs, case-insensitively by default, naming what it found', () => {
    assert.deepEqual(evaluateContains(contains({ any: ['BREAKING', 'migration'] }), 'A breaking change.'), { eval: 'c', pass: true, evidence: 'found "BREAKING"' });
  });

  it('fails when none occurs, or when the case differs under caseSensitive', () => {
    const none = evaluateContains(contains({ any: ['foo', 'bar'] }), 'nothing here');
    assert.equal(none.pass, false);
    assert.equal(none.evidence, 'none of "foo", "bar" found');
    assert.equal(evaluateContains(contains({ any: ['Foo'], caseSensitive: true }), 'foo').pass, false);
  });

  it('with mustContain false, fails on a forbidden string and passes without any', () => {
    const banned = contains({ any: ['let me know', 'hope this helps'], mustContain: false });
    assert.deepEqual(evaluateContains(banned, 'Done.'), { eval: 'c', pass: true, evidence: 'none of "let me know", "hope this helps" found' });
    const verdict = evaluateContains(banned, 'Let me know if you want more!');
    assert.equal(verdict.pass, false);
    assert.equal(verdict.evidence, 'found "let me know"');
  });
});

describe('length eval', () => {
  it('counts words and checks the bounds', () => {
    assert.deepEqual(evaluateLength(length({ max: 5 }), ' one two\nthree  four '), { eval: 'l', pass: true, evidence: '4 words' });
    assert.deepEqual(evaluateLength(length({ max: 3 }), 'one two three four'), {
      eval: 'l', pass: false, evidence: '4 words', reason: 'more than the maximum of 3 words',
    });
    assert.equal(evaluateLength(length({ min: 2 }), 'one').evidence, '1 word');
    assert.equal(evaluateLength(length({ min: 2 }), 'one').pass, false);
  });

  it('counts characters as code points', () => {
    assert.deepEqual(evaluateLength(length({ unit: 'characters', min: 3, max: 3 }), 'a😀b'), { eval: 'l', pass: true, evidence: '3 characters' });
    const verdict = evaluateLength(length({ unit: 'characters', min: 10 }), 'short');
    assert.equal(verdict.pass, false);
    assert.equal(verdict.reason, 'fewer than the minimum of 10 characters');
  });
});

let workdir: string;
let outside: string;
before(async () => {
  const root = await mkdtemp(join(tmpdir(), 'skill-evals-'));
  workdir = join(root, 'work');
  outside = root;
  await mkdir(join(workdir, 'evals'), { recursive: true });
});
after(async () => {
  await rm(outside, { recursive: true, force: true });
});

describe('json eval', () => {
  const schema = { type: 'object', required: ['title', 'items'], properties: { title: { type: 'string' }, items: { type: 'array', items: { type: 'string' } } } };

  it('passes valid JSON without a schema, and fails invalid JSON with the parser error', async () => {
    assert.deepEqual(await evaluateJson({ name: 'j', kind: 'json' }, ' {"a": 1}\n', workdir), { eval: 'j', pass: true, evidence: 'valid JSON' });
    const verdict = await evaluateJson({ name: 'j', kind: 'json' }, '```json\n{"a": 1}\n```', workdir);
    assert.equal(verdict.pass, false);
    assert.equal(verdict.reason, 'the output is not valid JSON');
    assert.match(verdict.evidence, /Unexpected token/);
  });

  it('checks an inline schema, with ajv’s error text as evidence', async () => {
    const spec: EvalOfKind<'json'> = { name: 'j', kind: 'json', schema };
    assert.equal((await evaluateJson(spec, '{"title": "v2", "items": ["a"]}', workdir)).pass, true);
    const verdict = await evaluateJson(spec, '{"title": 2, "items": ["a", 3]}', workdir);
    assert.equal(verdict.pass, false);
    assert.equal(verdict.reason, 'the output does not match the JSON Schema');
    assert.equal(verdict.evidence, 'output/title must be string, output/items/1 must be string');
    assert.equal((await evaluateJson(spec, '{"title": "x"}', workdir)).evidence, "output must have required property 'items'");
  });

  it('reads a schema file of the workspace, and refuses one outside it', async () => {
    await writeFile(join(workdir, 'evals/notes.schema.json'), JSON.stringify(schema));
    await writeFile(join(outside, 'secret.json'), JSON.stringify(schema));
    const spec: EvalOfKind<'json'> = { name: 'j', kind: 'json', schemaFile: 'evals/notes.schema.json' };
    assert.equal((await evaluateJson(spec, '{"title": "v2", "items": []}', workdir)).pass, true);
    assert.equal((await evaluateJson(spec, '{"items": []}', workdir)).pass, false);

    const escaping = await evaluateJson({ ...spec, schemaFile: '../secret.json' }, '{"title": "v2", "items": []}', workdir);
    assert.equal(escaping.pass, false);
    assert.match(escaping.reason!, /climbs out of the work directory/);
    const missing = await evaluateJson({ ...spec, schemaFile: 'evals/none.json' }, '{}', workdir);
    assert.equal(missing.pass, false);
    assert.match(missing.reason!, /is not in the workspace/);
  });

  it('fails, saying why, on a schema that does not compile', async () => {
    const verdict = await evaluateJson({ name: 'j', kind: 'json', schema: { type: 'no-such-type' } }, '{}', workdir);
    assert.equal(verdict.pass, false);
    assert.match(verdict.reason!, /the JSON Schema does not compile/);
  });
});

describe('predicate eval', () => {
  const input = { name: 'release-1', text: 'feat: dark mode' };
  const context = (over: Partial<PredicateContext> = {}): PredicateContext => ({
    workdir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: workdir },
    input,
    ...over,
  });
  const predicate = (module: string): EvalOfKind<'predicate'> => ({ name: 'p', kind: 'predicate', module });

  before(async () => {
    const files: Record<string, string> = {
      'evals/short.mjs': 'export default (output) => output.split(/\\s+/).length <= 3;',
      'evals/mentions-input.mjs':
        'export default async (output, input) => ({ pass: output.includes(input.text), evidence: `input ${input.name}: ${output.includes(input.text) ? "quoted" : "not quoted"}` });',
      'evals/cjs.js': 'module.exports = (output) => output.startsWith("#");',
      'evals/esm-in-js.js': 'export default (output) => ({ pass: true, evidence: "cwd " + process.cwd() });',
      'evals/throws.mjs': 'export default () => { throw new RangeError("the output is too odd"); };',
      'evals/hangs.mjs':
        'import { writeFileSync } from "node:fs"; export default () => { writeFileSync("hang.pid", String(process.pid)); return new Promise(() => setInterval(() => {}, 1000)); };',
      'evals/number.mjs': 'export default () => 1;',
      'evals/exits.mjs': 'export default () => { console.error("bye"); process.exit(3); };',
      'evals/no-default.mjs': 'export const check = () => true;',
      'evals/readme.txt': 'not a module',
    };
    for (const [path, content] of Object.entries(files)) await writeFile(join(workdir, path), content);
    await writeFile(join(outside, 'outside.js'), 'export default () => true;');
  });

  it('passes and fails on a boolean, with the evidence the predicate gives', async () => {
    assert.deepEqual(await evaluatePredicate(predicate('evals/short.mjs'), 'three words only', context()), { eval: 'p', pass: true, evidence: 'the predicate returned true' });
    assert.deepEqual(await evaluatePredicate(predicate('evals/short.mjs'), 'four words are too many', context()), {
      eval: 'p', pass: false, evidence: 'the predicate returned false', reason: 'the predicate failed the output',
    });
    assert.deepEqual(await evaluatePredicate(predicate('evals/mentions-input.mjs'), 'Now: feat: dark mode', context()), {
      eval: 'p', pass: true, evidence: 'input release-1: quoted',
    });
    const failed = await evaluatePredicate(predicate('evals/mentions-input.mjs'), 'nothing', context());
    assert.equal(failed.pass, false);
    assert.equal(failed.evidence, 'input release-1: not quoted');
  });

  it('loads CommonJS and ES modules with a .js name, and runs in the work directory', async () => {
    assert.equal((await evaluatePredicate(predicate('evals/cjs.js'), '# Title', context())).pass, true);
    const esm = await evaluatePredicate(predicate('evals/esm-in-js.js'), 'x', context());
    assert.equal(esm.pass, true, esm.reason);
    assert.match(esm.evidence, new RegExp(`cwd .*${workdir.split('/').at(-1)}$`));
  });

  it('refuses a module outside the workspace, or that is not JavaScript, or missing', async () => {
    const escaping = await evaluatePredicate(predicate('../outside.js'), 'x', context());
    assert.equal(escaping.pass, false);
    assert.match(escaping.reason!, /^module path "\.\.\/outside\.js" climbs out of the work directory with '\.\.': a predicate must be a file of the workspace$/);
    const absolute = await evaluatePredicate(predicate(join(outside, 'outside.js')), 'x', context());
    assert.equal(absolute.pass, false);
    assert.match(absolute.reason!, /is absolute/);
    assert.match((await evaluatePredicate(predicate('evals/readme.txt'), 'x', context())).reason!, /is not a \.js or \.mjs file/);
    assert.match((await evaluatePredicate(predicate('evals/none.mjs'), 'x', context())).reason!, /is not in the workspace/);
  });

  it('fails a predicate that throws, exits, answers no boolean or has no default export, with the reason', async () => {
    const threw = await evaluatePredicate(predicate('evals/throws.mjs'), 'x', context());
    assert.deepEqual(threw, { eval: 'p', pass: false, evidence: 'no verdict', reason: 'the predicate threw RangeError: the output is too odd' });
    assert.match((await evaluatePredicate(predicate('evals/number.mjs'), 'x', context())).reason!, /returned a value of type number; it must return true, false or \{ pass, evidence \}/);
    assert.match((await evaluatePredicate(predicate('evals/exits.mjs'), 'x', context())).reason!, /exited with code 3 before answering: bye/);
    assert.match((await evaluatePredicate(predicate('evals/no-default.mjs'), 'x', context())).reason!, /no default export that is a function/);
  });

  it('fails a predicate that does not answer in time, and kills it', async () => {
    const started = Date.now();
    const verdict = await evaluatePredicate(predicate('evals/hangs.mjs'), 'x', context({ timeoutMs: 500 }));
    assert.equal(verdict.pass, false);
    assert.equal(verdict.reason, 'the predicate did not answer within 0.5 s');
    assert.ok(Date.now() - started < 3000);
    const pid = Number(await readFile(join(workdir, 'hang.pid'), 'utf8'));
    await until(() => !isAlive(pid), 2000, `the predicate's process ${pid} is still alive`);
  });

  it('fails at once when the run is stopped', async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort('stopped'), 200);
    const verdict = await evaluatePredicate(predicate('evals/hangs.mjs'), 'x', context({ signal: stop.signal }));
    assert.equal(verdict.pass, false);
    assert.match(verdict.reason!, /the run was stopped/);
  });

  it('sees only the environment it is given', async () => {
    await writeFile(join(workdir, 'evals/env.mjs'), 'export default () => ({ pass: true, evidence: Object.keys(process.env).sort().join(",") });');
    const verdict = await evaluatePredicate(predicate('evals/env.mjs'), 'x', context({ env: { PATH: process.env.PATH ?? '/usr/bin', ONLY_THIS: '1' } }));
    assert.equal(verdict.pass, true, verdict.reason);
    assert.deepEqual(verdict.evidence.split(',').filter((name) => name !== 'PATH' && name !== 'ONLY_THIS'), []);
  });
});

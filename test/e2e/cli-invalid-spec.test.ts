// Acceptance: an invalid study.yaml exits with code 2 and a message naming the field; no database rows
// and no output files are created. A param random search cannot draw (no max) is such a spec, and so is a bad
// stage configuration (no stages, a later stage with a smaller budget, an unknown GPU class). Skill
// studies too: 7 evals, a 1-10 scale, a judge without its question, a predicate module outside the workspace.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { runCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { makeSkillFolder, SKILL_STUDY_YAML } from '../support/skill-folder.js';
import { makeStudyFolder } from '../support/study-folder.js';

const CASES: { name: string; edit: (yaml: string) => string; field: RegExp }[] = [
  { name: 'a wrong type', edit: (y) => y.replace('budgetSeconds: 20', 'budgetSeconds: twenty'), field: /run\.budgetSeconds: expected a number/ },
  { name: 'an unknown metric source', edit: (y) => y.replace('graceSeconds: 2', 'graceSeconds: 2\n  metrics: { source: stdout-magic }'), field: /run\.metrics\.source: expected one of/ },
  { name: 'a mutable path escaping the folder', edit: (y) => y.replace('mutable: [train.js]', 'mutable: [../train.js]'), field: /workspace\.mutable\[0\]: "\.\.\/train\.js" escapes the study folder/ },
  { name: 'a missing command', edit: (y) => y.replace('  command: node train.js\n', ''), field: /run\.command: is required/ },
  {
    name: 'random search over a param without a max',
    edit: (y) => y.replace('  seed: 3\n', '  seed: 3\n  strategy: random\n').replace('min: 4, max: 256, ', 'min: 4, '),
    field: /mutator\.params\[1\]\.max: strategy random needs min and max, or choices, to draw WIDTH from \(it has no max\)/,
  },
  { name: 'no stages (an empty list)', edit: (y) => `${y}stages: []\n`, field: /stages: must have at least 2 items/ },
  {
    name: 'a later stage with a smaller budget',
    edit: (y) => `${y}stages:\n  - { name: screen, budgetSeconds: 60, repeats: 1 }\n  - { name: full, budgetSeconds: 30, repeats: 2 }\n`,
    field: /stages\[1\]\.budgetSeconds: 30 is less than stages\[0\]\.budgetSeconds \(60\): a later stage must not have a smaller budget than an earlier one/,
  },
  {
    name: 'a stage on an unknown GPU class',
    edit: (y) => `${y}stages:\n  - { name: screen, budgetSeconds: 60, repeats: 1, gpuClass: small }\n  - { name: full, budgetSeconds: 300, repeats: 2 }\n`,
    field: /stages\[0\]\.gpuClass: "small" is not one of run\.kubernetes\.gpuClasses \(none declared\)/,
  },
];

const JUDGE = (name: string) => `    - { name: ${name}, kind: judge, question: "Is it ${name}?", pass: "Yes.", fail: "No." }\n`;
const SKILL_CASES: { name: string; edit: (yaml: string) => string; field: RegExp }[] = [
  { name: 'a skill study with 7 evals', edit: (y) => y.replace('mutator:', `${JUDGE('a')}${JUDGE('b')}${JUDGE('c')}mutator:`), field: /skill\.evals: has 7 evals; at most 6/ },
  {
    name: 'a 1-10 scale eval',
    edit: (y) => y.replace('question: Does the summary state only facts found in the input?', 'question: How faithful is the summary, on a scale of 1 to 10?'),
    field: /skill\.evals\[3\]\.question: asks for a score \("on a scale"\), not yes or no; evals must be binary/,
  },
  { name: 'a judge eval without its question', edit: (y) => y.replace(/ {6}question: .*\n/, ''), field: /skill\.evals\[3\]\.question: is required: a judge eval asks a yes\/no question/ },
  { name: 'a predicate module outside the workspace', edit: (y) => y.replace('module: evals/check.mjs', 'module: ../check.mjs'), field: /skill\.evals\[2\]\.module: "\.\.\/check\.mjs" escapes the study folder/ },
];

describe('autoresearch run with an invalid study.yaml', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase('cli_invalid');
  });
  after(async () => {
    await database.drop();
  });

  for (const testCase of [...CASES, ...SKILL_CASES]) {
    it(`exits 2 for ${testCase.name}, naming the field, and creates nothing`, async () => {
      const skill = SKILL_CASES.includes(testCase);
      const dir = skill ? await makeSkillFolder(testCase.edit(SKILL_STUDY_YAML)) : await makeStudyFolder();
      try {
        const specPath = join(dir, 'study.yaml');
        if (!skill) await writeFile(specPath, testCase.edit(await readFile(specPath, 'utf8')));
        // Embedded default: no .autoresearch folder (database or outputs) may appear.
        // The key is there, so that a skill study is refused for its spec and not for a missing key.
        const embedded = await runCli(['run', dir, '--max-experiments', '2'], { ANTHROPIC_API_KEY: 'sk-test' });
        assert.equal(embedded.code, 2, embedded.stderr);
        assert.match(embedded.stderr, testCase.field);
        assert.equal(existsSync(join(dir, '.autoresearch')), false, 'nothing may be written next to the study');
        // With DATABASE_URL: not a single table, let alone a row.
        const withPostgres = await runCli(['run', dir], { DATABASE_URL: database.url, ANTHROPIC_API_KEY: 'sk-test' });
        assert.equal(withPostgres.code, 2, withPostgres.stderr);
        assert.match(withPostgres.stderr, testCase.field);
        const client = new pg.Client({ connectionString: database.url });
        await client.connect();
        const tables = await client.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')");
        await client.end();
        assert.equal(tables.rows[0].n, 0);
        assert.equal(existsSync(join(dir, '.autoresearch')), false);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it('exits 2 for an invalid flag, naming it', async () => {
    const dir = await makeStudyFolder();
    try {
      const result = await runCli(['run', dir, '--slots', 'many']);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /--slots must be a positive integer \(got "many"\)/);
      assert.equal(existsSync(join(dir, '.autoresearch')), false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// Acceptance of the skill flavor: `autoresearch run examples/skill-release-notes` against the Anthropic
// test server, whose scripted writer obeys the rules it finds in the skill, whose judge quotes evidence,
// and whose editor adds one instruction for the most common failing eval. The loop climbs from a low
// baseline to at least 95% and stops for that reason; the original skill is untouched; the improved one
// is the original plus the recorded single edits; the holdout inputs ran only at the baseline and the end.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { openStore } from '../../services/controller/src/store/open-store.js';
import { lastUserText, skillWorldPolicy, startAnthropicApiServer, systemText, type AnthropicApiServer, type RecordedRequest } from '../support/anthropic-api/index.js';
import { REPO_ROOT, runCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { makeStudyFolder, SURROGATE_SCRIPT, SURROGATE_SPEC } from '../support/study-folder.js';

const EXAMPLE = join(REPO_ROOT, 'examples', 'skill-release-notes');

const isTarget = (r: RecordedRequest) => !r.body.tools || r.body.tools.length === 0;
const isEditor = (r: RecordedRequest) => r.body.tools?.some((t) => 'name' in t && t.name === 'propose_change') === true;

describe('examples/skill-release-notes', () => {
  let database: TestDatabase;
  let api: AnthropicApiServer;
  let out: string;

  before(async () => {
    database = await createTestDatabase('skill_study');
    api = await startAnthropicApiServer({ policy: skillWorldPolicy() });
    out = await mkdtemp(join(tmpdir(), 'autoresearch-skill-out-'));
  });

  // Experiment code runs as the agent's user: it could read its ancestors' environments in /proc. So the
  // agents of training runs must not hold the model key at all; only skill runs' agents get it.
  it('never gives the model key to the agents of a training study', { timeout: 120_000 }, async () => {
    // Walks up from the script to its agent (found by its entry point) and reads the agent's environment:
    // exit 7 if the key is there, 8 if no agent was found (so the test cannot pass by looking nowhere).
    const probe = `const { readFileSync } = require('node:fs');
let pid = process.ppid, agent = false;
for (let depth = 0; depth < 6 && pid > 1 && !agent; depth++) {
  if (readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes('agent/src/main')) {
    agent = true;
    const environ = readFileSync('/proc/' + pid + '/environ', 'utf8');
    if (environ.includes('ANTHROPIC_API_KEY=') || environ.includes(${JSON.stringify(api.apiKey)})) { console.log('LEAK'); process.exit(7); }
  }
  pid = Number(readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ')[1].split(' ')[1]);
}
if (!agent) { console.log('no agent above ' + process.pid); process.exit(8); }
`;
    const dir = await makeStudyFolder({ 'train.js': probe + SURROGATE_SCRIPT, 'study.yaml': SURROGATE_SPEC });
    try {
      const result = await runCli(['run', dir, '--max-experiments', '2', '--slots', '1', '--port', '0', '--out', join(dir, 'out')], {
        DATABASE_URL: database.url, ANTHROPIC_API_KEY: api.apiKey, ANTHROPIC_BASE_URL: api.url,
      });
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      const rows = (await readFile(join(dir, 'out', 'results.tsv'), 'utf8')).trim().split('\n').slice(1);
      assert.equal(rows.length, 2);
      for (const row of rows) assert.notEqual(row.split('\t')[3], 'crash', `every run found its agent and no key in it:\n${result.stdout}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  after(async () => {
    await api.close();
    await database.drop();
    await rm(out, { recursive: true, force: true });
  });

  it('climbs from a low baseline to 95%+, stops for that reason, and proves the gain on the holdout inputs', { timeout: 300_000 }, async () => {
    const originalSkill = await readFile(join(EXAMPLE, 'SKILL.md'), 'utf8');
    const spec = parse(await readFile(join(EXAMPLE, 'study.yaml'), 'utf8'));
    const inputText = async (name: string, pool: 'working' | 'holdout') =>
      readFile(join(EXAMPLE, spec.skill.inputs[pool].find((i: { name: string }) => i.name === name).file), 'utf8');
    const holdoutTexts = await Promise.all(spec.skill.inputs.holdout.map((i: { name: string }) => inputText(i.name, 'holdout')));

    const result = await runCli(['run', 'examples/skill-release-notes', '--fresh', '--slots', '4', '--port', '0', '--out', out], {
      DATABASE_URL: database.url, ANTHROPIC_API_KEY: api.apiKey, ANTHROPIC_BASE_URL: api.url,
    });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /completed: pass_rate ≥ 95% for 3 experiments in a row/);

    // results.tsv: the autoresearch skill's columns, from a low baseline to the ceiling.
    const rows = (await readFile(join(out, 'results.tsv'), 'utf8')).trim().split('\n').map((line) => line.split('\t'));
    assert.deepEqual(rows[0], ['experiment', 'score', 'max_score', 'pass_rate', 'status', 'description']);
    const body = rows.slice(1);
    assert.equal(body[0]![4], 'baseline');
    assert.equal(body[0]![2], '32', '4 evals × 8 runs');
    assert.ok(Number(body[0]![1]) <= 8, `a low baseline: ${body[0]!.join(' ')}`);
    const best = Math.max(...body.filter((r) => r[4] === 'keep' || r[4] === 'baseline').map((r) => Number(r[1]) / Number(r[2])));
    assert.ok(best >= 0.95, `the best pass rate ${best} is at least 95%`);
    assert.deepEqual(body.slice(-3).map((r) => Number(r[1]) / Number(r[2]) >= 0.95), [true, true, true], 'the last three at 95% or more');

    // The original is untouched; the improved skill is it plus the kept experiments' single edits, in order.
    assert.equal(await readFile(join(EXAMPLE, 'SKILL.md'), 'utf8'), originalSkill);
    const improved = await readFile(join(out, 'SKILL.improved.md'), 'utf8');
    assert.notEqual(improved, originalSkill);
    const store = await openStore({ databaseUrl: database.url, poolSize: 1 });
    let kept: { number: number; edits: { search: string; replace: string }[] }[];
    try {
      const [study] = (await store.listStudies({ limit: 10 })).items;
      const experiments = await store.listExperiments(study!.id, { limit: 100 });
      for (const e of experiments.filter((x) => x.number > 0)) assert.equal(e.edits?.length, 1, `experiment #${e.number} is one edit`);
      kept = experiments.filter((e) => e.outcome === 'keep').sort((a, b) => a.number - b.number).map((e) => ({ number: e.number, edits: e.edits! }));
      // Every output is stored with each eval's verdict and its evidence.
      const outputs = await store.listSkillOutputs({ studyId: study!.id });
      const runs = (await Promise.all(experiments.map((e) => store.listRuns(e.id)))).flat();
      assert.equal(outputs.length, runs.length, 'one stored output per run');
      for (const output of outputs) {
        assert.ok(output.output.length > 0);
        assert.deepEqual(output.verdicts.map((v) => v.eval), spec.skill.evals.map((e: { name: string }) => e.name));
        for (const verdict of output.verdicts) assert.equal(typeof verdict.evidence, 'string');
      }
      const judged = outputs.flatMap((o) => o.verdicts).filter((v) => v.eval === 'opens-with-summary' && v.pass);
      assert.ok(judged.length > 0 && judged.every((v) => v.evidence.length > 0), 'a judge pass always quotes its evidence');
    } finally {
      await store.close();
    }
    assert.ok(kept.length >= 3, `several single edits kept: ${kept.map((k) => k.number).join(', ')}`);
    let replayed = originalSkill;
    for (const { edits } of kept) replayed = replayed.replace(edits[0]!.search, () => edits[0]!.replace);
    assert.equal(replayed, improved, 'the improved skill is the original plus the recorded edits');

    // The changelog explains each step.
    const changelog = await readFile(join(out, 'changelog.md'), 'utf8');
    const sections = changelog.split(/^## Experiment /m).slice(1);
    assert.equal(sections.length, body.length);
    for (const section of sections) {
      for (const field of ['**Score:**', '**Change:**', '**Reasoning:**', '**Result:**']) assert.ok(section.includes(field), `${field} in\n${section}`);
    }
    assert.match(changelog, /^## Experiment 0 — baseline$/m);
    assert.match(changelog, /^## Experiment \d+ — keep$/m);
    assert.match(changelog, /\*\*Failing outputs\*\*/);

    // Holdout inputs: only at the baseline (the original skill as system prompt) and at the end (the
    // improved one), the end after every working run.
    const targets = api.requests.filter(isTarget);
    const holdout = targets.filter((r) => holdoutTexts.includes(lastUserText(r.body)));
    assert.equal(holdout.length, 2 * spec.skill.holdoutRuns);
    assert.deepEqual(holdout.map((r) => systemText(r.body) === originalSkill ? 'baseline' : systemText(r.body) === improved ? 'end' : 'other').sort(),
      [...Array(spec.skill.holdoutRuns).fill('baseline'), ...Array(spec.skill.holdoutRuns).fill('end')]);
    const lastWorking = Math.max(...targets.filter((r) => !holdout.includes(r)).map((r) => api.requests.indexOf(r)));
    const endRuns = holdout.filter((r) => systemText(r.body) === improved).map((r) => api.requests.indexOf(r));
    assert.ok(Math.min(...endRuns) > lastWorking, 'the final holdout runs come after every working run');
    assert.ok(Math.min(...endRuns) > Math.max(...api.requests.filter(isEditor).map((r) => api.requests.indexOf(r))), 'and after the last proposal');

    // Every proposal read a failure analysis of its head: failure rates per eval, the most common
    // failing eval, and failing outputs with the judge's evidence; and was told to make one targeted edit.
    const proposals = api.requests.filter(isEditor);
    assert.equal(proposals.length, body.length - 1, 'one proposal per experiment, none made blind before the baseline');
    const first = lastUserText(proposals[0]!.body);
    assert.match(first, /Failures per eval on the head's 8 outputs:\n- no-numbered-lists: failed 8 of 8 \(100%\)/);
    assert.match(first, /Most common failing eval: \S+ — failed 8 of 8 outputs/);
    assert.match(first, /### An output for input [\w.-]+, failing no-numbered-lists, concise, breaking-changes-first, opens-with-summary\n/);
    assert.match(first, /\n- opens-with-summary: [^\n]*evidence: "Here are the release notes/);
    assert.match(systemText(proposals[0]!.body), /Make ONE targeted edit to SKILL\.md/);

    // The report shows both rates, before and after; results.json has the per-eval breakdown.
    const report = await readFile(join(out, 'report.md'), 'utf8');
    assert.match(report, /\| working inputs \| \d+\/32 \(\d+(\.\d)?%\) \| (3[1-2])\/32 \((9[5-9]|100)(\.\d)?%\) \|/);
    assert.match(report, /\| holdout inputs \| \d+\/16 \(\d+(\.\d)?%\) \| 1[5-6]\/16 /);
    assert.match(report, /The holdout pass rate improved too/);
    assert.match(report, /Judge consistency: \d+ judge verdicts were judged twice/);
    const json = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    assert.deepEqual(Object.keys(json.experiments[0].perEval).sort(), spec.skill.evals.map((e: { name: string }) => e.name).sort());
    assert.ok(json.summary.holdout.after > json.summary.holdout.before);
  });
});

// The scripted skill world (writer, judge, editor) against examples/skill-release-notes, driven through
// @anthropic-ai/sdk and the test Anthropic server the way a skill study drives the real API: the
// unmodified skill fails every eval, each fix makes its own eval pass and no other, and the editor,
// led by the failure analysis, reaches a pass rate of 1 without ever proposing the same change twice.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import type { MessageParam, ToolUseBlock } from '@anthropic-ai/sdk/resources/messages';
import { parse } from 'yaml';
import type { JudgeEvalSpec } from '../../schemas/src/skill-spec.js';
import { applyEdits } from '../../services/controller/src/mutators/edits/apply-edits.js';
import { PROPOSE_TOOL } from '../../services/controller/src/mutators/llm/prompt.js';
import { validateProposal } from '../../services/controller/src/mutators/llm/validate-proposal.js';
import { parseStudyYaml, validateStudySpec } from '../../services/controller/src/spec/load-study-folder.js';
import { buildJudgeRequest, judgementOf, readJudgeAnswer, type Judgement } from '../../services/agent/src/skill/judge-request.js';
import {
  NEUTRAL_RULES,
  releaseNotesFixes,
  skillWorldPolicy,
  startAnthropicApiServer,
  type AnthropicApiServer,
  type ProposalInput,
} from '../support/anthropic-api/index.js';

const EXAMPLE = 'examples/skill-release-notes';

interface EvalSpec {
  name: string;
  kind: 'regex' | 'length' | 'judge';
  pattern?: string;
  flags?: string;
  mustMatch?: boolean;
  max?: number;
  question?: string;
  pass?: string;
  fail?: string;
}

interface Input {
  name: string;
  text: string;
}

describe('the skill world on examples/skill-release-notes', () => {
  let server: AnthropicApiServer;
  let client: Anthropic;
  let skill: string;
  let evals: EvalSpec[];
  let working: Input[];
  let inputs: Input[];

  before(async () => {
    server = await startAnthropicApiServer({ policy: skillWorldPolicy() });
    client = new Anthropic({ apiKey: server.apiKey, baseURL: server.url, maxRetries: 0 });
    skill = await readFile(`${EXAMPLE}/SKILL.md`, 'utf8');
    const yaml = await readFile(`${EXAMPLE}/study.yaml`, 'utf8');
    // The example is a valid skill study; its evals are read from the file as written.
    assert.equal(validateStudySpec(parseStudyYaml(yaml)).flavor, 'skill');
    const study = parse(yaml);
    evals = study.skill.evals;
    const read = async (list: { name: string; file: string }[]) =>
      Promise.all(list.map(async ({ name, file }) => ({ name, text: await readFile(`${EXAMPLE}/${file}`, 'utf8') })));
    working = await read(study.skill.inputs.working);
    inputs = [...working, ...(await read(study.skill.inputs.holdout))];
  });

  after(() => server.close());

  async function write(system: string, input: string): Promise<string> {
    const message = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 4000, system, messages: [{ role: 'user', content: input }] });
    return message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
  }

  /** A judge call as the agent makes it, read as the agent reads it. */
  async function judge(spec: EvalSpec, input: string, output: string): Promise<Judgement> {
    const request = buildJudgeRequest(spec as JudgeEvalSpec, { model: 'claude-sonnet-4-6', maxTokens: 1000 }, input, output);
    const read = readJudgeAnswer(await client.messages.create(request));
    assert.ok('answer' in read, `the judge answers with record_verdict: ${JSON.stringify(read)}`);
    assert.ok(read.answer.evidence !== '' && output.includes(read.answer.evidence), `the evidence is quoted from the output: ${read.answer.evidence}`);
    return judgementOf(read.answer, output);
  }

  /** Each eval's verdict on one output: code evals by plain regex and word counting, judge evals by the judge. */
  async function score(input: string, output: string): Promise<Record<string, boolean>> {
    const passed: Record<string, boolean> = {};
    for (const spec of evals) {
      if (spec.kind === 'regex') passed[spec.name] = new RegExp(spec.pattern!, spec.flags).test(output) === spec.mustMatch;
      else if (spec.kind === 'length') passed[spec.name] = output.trim().split(/\s+/).length <= spec.max!;
      else passed[spec.name] = (await judge(spec, input, output)).pass;
    }
    return passed;
  }

  function withRules(rules: string[]): string {
    assert.equal(skill.split('## Rules\n\n').length, 2, 'SKILL.md has one "## Rules" line followed by a blank line');
    return skill.replace('## Rules\n\n', `## Rules\n\n${rules.map((rule) => `- ${rule}\n`).join('')}`);
  }

  async function propose(files: Record<string, string>, failureLine: string, tried: string[] = [], extra: MessageParam[] = []): Promise<ProposalInput> {
    const shown = Object.entries(files).map(([path, content]) => `### ${path}\n\`\`\`\n${content}\n\`\`\`\n`);
    const prompt = [
      '## The current head (pass_rate = 0.5)\n',
      ...shown,
      '## Changes already tried\n',
      `From the current head (never repeat these): ${tried.length === 0 ? 'none yet.' : ''}`,
      ...tried.map((description, i) => `- #${i + 1} ${description} (discard)`),
      '',
      '## Failure analysis\n',
      failureLine,
      '',
      'Propose the next experiment with the propose_change tool.',
    ].join('\n');
    const message = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 8000,
      system: 'You are improving a skill (a system prompt), one change at a time. Answer with the propose_change tool only.',
      tools: [PROPOSE_TOOL],
      tool_choice: { type: 'tool', name: PROPOSE_TOOL.name },
      messages: [{ role: 'user', content: prompt }, ...extra],
    });
    const call = message.content.find((block): block is ToolUseBlock => block.type === 'tool_use');
    assert.ok(call, 'the editor answers with propose_change');
    return call.input as ProposalInput;
  }

  /** The proposal checked as the mutator checks it (one small edit, its search found once), then applied. */
  function apply(content: string, proposal: ProposalInput): string {
    const checked = validateProposal(proposal, { files: { 'SKILL.md': content }, mutablePaths: ['SKILL.md'], maxDiffLines: 20, tried: new Map() });
    assert.ok(checked.ok, `a valid proposal: ${JSON.stringify(checked)}`);
    assert.equal(proposal.edits.length, 1, 'one edit');
    return applyEdits({ 'SKILL.md': content }, proposal.edits, ['SKILL.md'])['SKILL.md']!;
  }

  it('the example has the evals the fixes name, 4 working and 2 holdout inputs', () => {
    assert.deepEqual(evals.map((e) => e.name).sort(), Object.keys(releaseNotesFixes).sort());
    assert.equal(working.length, 4);
    assert.equal(inputs.length, 6);
    for (const { name, text } of inputs) {
      const changes = text.split('\n').filter((line) => /^- [A-Za-z]+(\([^)]*\))?!?: /.test(line));
      assert.ok(changes.length >= 8 && changes.length <= 15, `${name} has 8–15 changes (${changes.length})`);
      assert.ok(changes.some((line) => /^- BREAKING/.test(line)), `${name} has a breaking change`);
    }
    for (const fix of Object.values(releaseNotesFixes)) assert.ok(!skill.includes(fix), `the example lacks "${fix}"`);
  });

  it('with the unmodified SKILL.md, every output fails every eval', async () => {
    for (const input of inputs) {
      const output = await write(skill, input.text);
      const passed = await score(input.text, output);
      for (const spec of evals) assert.equal(passed[spec.name], false, `${input.name}: ${spec.name} fails\n${output}`);
    }
  });

  it('each fix makes its own eval pass on every input, and no other', async () => {
    for (const [evalName, fix] of Object.entries(releaseNotesFixes)) {
      const system = withRules([fix]);
      for (const input of inputs) {
        const passed = await score(input.text, await write(system, input.text));
        for (const spec of evals) assert.equal(passed[spec.name], spec.name === evalName, `${input.name}, fix for ${evalName}: ${spec.name}`);
      }
    }
  });

  it('with every fix, every eval passes on all six inputs', async () => {
    const system = withRules(Object.values(releaseNotesFixes));
    for (const input of inputs) {
      const output = await write(system, input.text);
      const passed = await score(input.text, output);
      for (const spec of evals) assert.equal(passed[spec.name], true, `${input.name}: ${spec.name} passes\n${output}`);
    }
  });

  it('the writer obeys a rule however it is phrased, and ignores neutral rules', async () => {
    const numbered = evals.find((e) => e.name === 'no-numbered-lists')!;
    for (const rule of ['Do not use numbered lists.', 'never use numbered lists', 'Use bullet points, not numbered lists.', 'NO NUMBERED LISTS.']) {
      const output = await write(withRules([rule]), working[0]!.text);
      assert.equal(new RegExp(numbered.pattern!, numbered.flags).test(output), false, rule);
    }
    const neutral = await write(withRules(NEUTRAL_RULES), working[0]!.text);
    assert.equal(neutral, await write(skill, working[0]!.text));
  });

  it('the editor adds the fix for the named failing eval under "## Rules"', async () => {
    for (const [evalName, fix] of Object.entries(releaseNotesFixes)) {
      const proposal = await propose({ 'SKILL.md': skill }, `Most common failing eval: ${evalName} — failed 8 of 8 outputs`);
      assert.match(proposal.hypothesis, new RegExp(evalName));
      assert.match(proposal.variable, new RegExp(evalName));
      assert.match(proposal.description, new RegExp(evalName));
      assert.equal(apply(skill, proposal), withRules([fix]));
    }
  });

  it('the editor proposes a neutral rule when nothing fails, the fix is in, or no fix is known, never the same twice', async () => {
    let file = withRules([releaseNotesFixes.concise!]);
    const tried: string[] = [];
    const lines = ['Most common failing eval: none', 'Most common failing eval: concise — failed 1 of 8 outputs', 'Most common failing eval: tone — failed 3 of 8 outputs'];
    for (let i = 0; i < NEUTRAL_RULES.length; i += 1) {
      const proposal = await propose({ 'SKILL.md': file }, lines[i % lines.length]!, tried);
      assert.equal(proposal.variable, 'style rule');
      assert.ok(!tried.includes(proposal.description), `a new proposal: ${proposal.description}`);
      tried.push(proposal.description);
      const next = apply(file, proposal);
      assert.equal(next.split('\n').length, file.split('\n').length + 1, 'one added line');
      // Kept every other time: a kept rule is in the file, a discarded one only in the list of tried changes.
      if (i % 2 === 0) file = next;
    }
    assert.equal(new Set(tried).size, NEUTRAL_RULES.length);
    // A fix already tried from this head is not proposed again.
    const fixTried = await propose({ 'SKILL.md': skill }, 'Most common failing eval: concise — failed 8 of 8 outputs', ['add a rule for the concise eval']);
    assert.equal(fixTried.variable, 'style rule');
  });

  it('the editor proposes something else after the client sends its proposal back as an error', async () => {
    const files = { 'SKILL.md': skill };
    const failing = 'Most common failing eval: opens-with-summary — failed 8 of 8 outputs';
    const first = await propose(files, failing);
    const id = 'toolu_01SkillWorldRejected0001';
    const retry = await propose(files, failing, [], [
      { role: 'assistant', content: [{ type: 'tool_use', id, name: 'propose_change', input: first }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, is_error: true, content: 'Invalid proposal: this exact change was already tried from this head' }] },
    ]);
    assert.notEqual(retry.description, first.description);
    assert.equal(retry.variable, 'style rule');
  });

  it('a study led by the failure analysis keeps the four fixes and reaches a pass rate of 1', async () => {
    let head = skill;
    const tried: string[] = [];
    const history: { description: string; passRate: number; kept: boolean }[] = [];
    const measure = async (content: string) => {
      const failures = new Map<string, number>();
      let passes = 0;
      for (let run = 0; run < 8; run += 1) {
        const input = working[run % working.length]!;
        const passed = await score(input.text, await write(content, input.text));
        for (const [name, ok] of Object.entries(passed)) {
          if (ok) passes += 1;
          else failures.set(name, (failures.get(name) ?? 0) + 1);
        }
      }
      return { passRate: passes / (evals.length * 8), failures };
    };

    let current = await measure(head);
    assert.equal(current.passRate, 0, 'the baseline passes nothing');
    while (current.passRate < 1 && history.length < 10) {
      // Ties go to the eval listed first, as a stable "most common".
      const [name, count] = [...current.failures].sort((a, b) => b[1] - a[1])[0]!;
      const proposal = await propose({ 'SKILL.md': head }, `Most common failing eval: ${name} — failed ${count} of 8 outputs`, tried);
      assert.ok(!tried.includes(proposal.description), `never a duplicate: ${proposal.description}`);
      tried.push(proposal.description);
      const candidate = apply(head, proposal);
      const measured = await measure(candidate);
      const kept = measured.passRate > current.passRate;
      history.push({ description: proposal.description, passRate: measured.passRate, kept });
      if (kept) [head, current] = [candidate, measured];
    }
    assert.deepEqual(
      history.map((h) => [h.passRate, h.kept]),
      [[0.25, true], [0.5, true], [0.75, true], [1, true]],
      JSON.stringify(history, null, 2),
    );
    for (const fix of Object.values(releaseNotesFixes)) assert.ok(head.includes(`- ${fix}\n`), `the head has "${fix}"`);
    assert.equal(head.split('\n').length, skill.split('\n').length + 4, 'and nothing else changed');
  });
});

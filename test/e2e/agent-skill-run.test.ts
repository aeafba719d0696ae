// The real agent on a skill run: forked as the controller forks it, its assignment fetched over HTTP,
// its model calls made through the real @anthropic-ai/sdk against the Anthropic API stand-in, which
// writes the output, judges it (as the shared scripted judge does) and injects the faults.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  ResultMessage,
  type AgentMessage,
  type RunAssignment,
  type SkillAssignment,
} from '../../schemas/src/messages.js';
import { startAnthropicApiServer, type AnthropicApiServer, type Policy, type PolicyAnswer } from '../support/anthropic-api/index.js';
import { rubricJudge, type Rubric } from '../support/anthropic-api/skill-judge.js';
import { forkAgent } from '../support/agent-process.js';
import { makeAssignment, startAssignmentServer, type AssignmentServer } from '../support/assignment-server.js';

const TOKEN = 'tok-skill-secret-77';
const checkResult = TypeCompiler.Compile(ResultMessage);

const SKILL = '# Release notes\n\nOpen with a one-sentence summary. Use bullets, never numbered lists.\n';
const INPUT = { name: 'release-1', text: '- feat: dark mode\n- perf: faster exports', holdout: false };
const OUTPUT = 'This release brings dark mode and faster exports.\n\n- Dark mode for the dashboard\n- Faster exports';
const SUMMARY_QUESTION = 'Does the output open with a one-sentence summary?';

const opensWithSummary: Rubric = {
  question: SUMMARY_QUESTION,
  answer: (_input, output) => ({ verdict: 'yes', evidence: output.split('\n')[0]! }),
};

const servers: AssignmentServer[] = [];
let api: AnthropicApiServer | undefined;
let workRoot: string;
before(async () => {
  workRoot = await mkdtemp(join(tmpdir(), 'agent-skill-'));
});
afterEach(async () => {
  await api?.close();
  api = undefined;
});
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await rm(workRoot, { recursive: true, force: true });
});

/** The target answers `output`; requests offering record_verdict go to `judge`. */
function skillPolicy(judge: Policy, output = OUTPUT): Policy {
  return (request, context) => ((request.tools ?? []).some((tool) => 'name' in tool && tool.name === 'record_verdict') ? judge(request, context) : { text: output });
}

const verdictAnswer = (verdict: string, evidence: unknown): PolicyAnswer => ({ toolUse: { name: 'record_verdict', input: { verdict, evidence } } });

function skillAssignment(runId: string, skill: Partial<SkillAssignment>, files: Record<string, string> = {}, over: Partial<Omit<RunAssignment, 'files' | 'skill'>> = {}): RunAssignment {
  return makeAssignment({
    runId,
    command: '',
    objectiveMetric: 'pass_rate',
    heartbeatSeconds: 0.2,
    files: { 'SKILL.md': SKILL, ...files },
    skill: {
      file: 'SKILL.md',
      input: INPUT,
      evals: [
        { name: 'no-numbered-lists', kind: 'regex', pattern: '^\\d+\\. ', flags: 'm', mustMatch: false },
        { name: 'opens-with-summary', kind: 'judge', question: SUMMARY_QUESTION, pass: 'The first line is one sentence.', fail: 'It opens with anything else.' },
        { name: 'short', kind: 'length', unit: 'words', max: 50 },
      ],
      target: { model: 'target-model', maxTokens: 500 },
      judge: { model: 'judge-model', maxTokens: 300 },
      modelConcurrency: 2,
      retries: 1,
      judgeTwice: false,
      ...skill,
    },
    ...over,
  });
}

interface RunOutcome {
  result: ResultMessage;
  messages: AgentMessage[];
  logLines: string[];
  exitCode: number | null;
}

async function runAgent(
  assignment: RunAssignment,
  server: AnthropicApiServer,
  during?: (messages: AgentMessage[], send: (m: unknown) => void) => Promise<void>,
  options: { withModelApi?: boolean } = {},
): Promise<RunOutcome> {
  const controller = await startAssignmentServer({ assignment, token: TOKEN });
  servers.push(controller);
  const agent = forkAgent({
    runId: assignment.runId, controllerUrl: controller.url, workRoot,
    env: { AUTORESEARCH_RUN_TOKEN: TOKEN, ...(options.withModelApi !== false && { ANTHROPIC_API_KEY: server.apiKey, ANTHROPIC_BASE_URL: server.url }) },
  });
  const { child, messages } = agent;
  if (during) await during(messages, (m) => child.send(m as object));
  const result = await agent.result(30_000);
  assert.ok(checkResult.Check(result), `the result is not a valid ResultMessage: ${JSON.stringify([...checkResult.Errors(result)].slice(0, 3))}`);
  return { result, messages, logLines: agent.logLines(), exitCode: (await agent.exit).code };
}

const judgeRequests = (server: AnthropicApiServer) => server.requests.filter((r) => r.body.tools?.length);

describe('agent skill run (forked, against the Anthropic API stand-in)', () => {
  it('writes the output, scores it with code and judge evals, and reports every verdict', async () => {
    api = await startAnthropicApiServer({ policy: skillPolicy(rubricJudge([opensWithSummary])) });
    const dump = join(workRoot, 'predicate-env.json');
    const assignment = skillAssignment(
      'skill-ok',
      {
        evals: [
          { name: 'no-numbered-lists', kind: 'regex', pattern: '^\\d+\\. ', flags: 'm', mustMatch: false },
          { name: 'mentions-dark-mode', kind: 'contains', any: ['dark mode'], mustContain: true, caseSensitive: false },
          { name: 'short', kind: 'length', unit: 'words', max: 50 },
          { name: 'bullets', kind: 'predicate', module: 'evals/bullets.mjs' },
          { name: 'is-json', kind: 'json' },
          { name: 'opens-with-summary', kind: 'judge', question: SUMMARY_QUESTION, pass: 'The first line is one sentence.', fail: 'It opens with anything else.' },
        ],
      },
      {
        'evals/bullets.mjs': [
          'import { writeFileSync } from "node:fs";',
          'export default (output, input) => {',
          '  writeFileSync(process.env.ENV_DUMP, JSON.stringify({ env: process.env, input }));',
          '  const bullets = output.split("\\n").filter((line) => line.startsWith("- ")).length;',
          '  return { pass: bullets >= 2, evidence: `${bullets} bullet points` };',
          '};',
        ].join('\n'),
      },
      { env: { ENV_DUMP: dump } },
    );
    const { result, messages, logLines, exitCode } = await runAgent(assignment, api);

    assert.equal(result.status, 'succeeded', result.reason);
    assert.equal(result.reason, undefined);
    assert.deepEqual(result.metrics, {
      pass_rate: 5 / 6, passes: 5, evals: 6,
      'eval.no-numbered-lists': 1, 'eval.mentions-dark-mode': 1, 'eval.short': 1, 'eval.bullets': 1, 'eval.is-json': 0, 'eval.opens-with-summary': 1,
    });
    const report = result.skill!;
    assert.equal(report.input, 'release-1');
    assert.equal(report.holdout, false);
    assert.equal(report.output, OUTPUT);
    assert.deepEqual(report.verdicts.map(({ eval: name, pass, evidence }) => ({ name, pass, evidence })), [
      { name: 'no-numbered-lists', pass: true, evidence: 'no match' },
      { name: 'mentions-dark-mode', pass: true, evidence: 'found "dark mode"' },
      { name: 'short', pass: true, evidence: '17 words' },
      { name: 'bullets', pass: true, evidence: '2 bullet points' },
      { name: 'is-json', pass: false, evidence: report.verdicts[4]!.evidence },
      { name: 'opens-with-summary', pass: true, evidence: 'This release brings dark mode and faster exports.' },
    ]);
    assert.equal(report.verdicts[4]!.reason, 'the output is not valid JSON');
    assert.equal(report.modelCalls, 2);
    const spent = api.requests.map((r) => r.response as { usage: { input_tokens: number; output_tokens: number } });
    assert.equal(report.inputTokens, spent.reduce((sum, r) => sum + r.usage.input_tokens, 0));
    assert.equal(report.outputTokens, spent.reduce((sum, r) => sum + r.usage.output_tokens, 0));
    assert.ok(report.inputTokens > 0 && report.outputTokens > 0);

    // The target: the skill file as the system prompt, the input as the one user message, no tools.
    const [target, judge] = api.requests;
    assert.deepEqual(target!.body, { model: 'target-model', max_tokens: 500, system: SKILL, messages: [{ role: 'user', content: INPUT.text }] });
    // The judge: the question and conditions on their own lines, input and output tagged, one forced tool.
    assert.equal(judge!.body.model, 'judge-model');
    assert.match(String(judge!.body.system), /verbatim[\s\S]*\nQuestion: Does the output open with a one-sentence summary\?\nPass condition: The first line is one sentence\.\nFail condition: It opens with anything else\.$/);
    assert.deepEqual(judge!.body.messages, [{ role: 'user', content: `<input>\n${INPUT.text}\n</input>\n\n<output>\n${OUTPUT}\n</output>` }]);
    assert.deepEqual(judge!.body.tool_choice, { type: 'tool', name: 'record_verdict' });
    assert.deepEqual(judge!.body.tools?.map((tool) => 'name' in tool && tool.name), ['record_verdict']);

    assert.equal(messages[0]?.type, 'started');
    assert.ok(messages.some((m) => m.type === 'heartbeat') || result.finishedAt - result.startedAt < 200);
    assert.ok(logLines.some((line) => /^target target-model: 17 words/.test(line)), logLines.join('\n'));
    assert.ok(result.logTail.includes('verdicts: 5 of 6 passed'), result.logTail.join('\n'));
    assert.deepEqual([result.exitCode, result.signal, result.peakMemoryMb], [null, null, null]);
    assert.equal(exitCode, 0);

    // The predicate ran with the experiment's environment: neither the model API nor the run token.
    const seen = readFileSync(dump, 'utf8');
    assert.deepEqual(JSON.parse(seen).input, { name: INPUT.name, text: INPUT.text });
    for (const secret of [api.apiKey, api.url, TOKEN, 'ANTHROPIC']) assert.ok(!seen.includes(secret), `the predicate saw ${secret}`);
  });

  it('crashes, never passes, when the judge gives an invalid verdict on every try', async () => {
    api = await startAnthropicApiServer({ policy: skillPolicy(() => verdictAnswer('maybe', 'This release')) });
    const { result } = await runAgent(skillAssignment('skill-maybe', { retries: 2 }), api);
    assert.equal(result.status, 'crashed');
    assert.equal(result.reason, 'eval opens-with-summary: no valid verdict from judge-model after 3 tries: the verdict is "maybe", not "yes" or "no"');
    assert.equal(judgeRequests(api).length, 3);
    const verdicts = result.skill!.verdicts;
    assert.deepEqual(verdicts[1], { eval: 'opens-with-summary', pass: false, evidence: 'no verdict', reason: result.reason!.replace('eval opens-with-summary: ', '') });
    assert.deepEqual(verdicts.map((v) => v.pass), [true, false, true]);
    assert.equal(result.metrics['eval.opens-with-summary'], 0);
    assert.equal(result.skill!.modelCalls, 4);
    assert.ok(result.logTail.some((line) => /invalid verdict .*asking again/.test(line)));
  });

  it('asks the judge again after an invalid verdict and succeeds with the valid one', async () => {
    let asked = 0;
    api = await startAnthropicApiServer({
      policy: skillPolicy((request, context) => (asked++ === 0 ? { toolUse: { name: 'record_verdict', input: { verdict: 'yes' } } } : rubricJudge([opensWithSummary])(request, context))),
    });
    const { result } = await runAgent(skillAssignment('skill-reask', { retries: 1 }), api);
    assert.equal(result.status, 'succeeded', result.reason);
    assert.equal(judgeRequests(api).length, 2);
    assert.deepEqual(result.skill!.verdicts[1], { eval: 'opens-with-summary', pass: true, evidence: 'This release brings dark mode and faster exports.' });
    assert.equal(result.metrics.pass_rate, 1);
  });

  it('crashes with the reason when the target keeps failing (500, then 529) past its retries', async () => {
    api = await startAnthropicApiServer({ policy: skillPolicy(rubricJudge([opensWithSummary])) });
    api.inject.next(1, { status: 500 });
    api.inject.next(1, { status: 529 });
    const { result } = await runAgent(skillAssignment('skill-down', { retries: 1 }), api);
    assert.equal(result.status, 'crashed');
    assert.equal(result.reason, 'target model target-model failed: 529 Overloaded (2 tries)');
    assert.equal(api.requests.length, 2, 'no judge is asked without an output');
    assert.deepEqual(api.requests.map((r) => r.status), [500, 529]);
    const report = result.skill!;
    assert.equal(report.output, '');
    assert.equal(report.modelCalls, 2);
    assert.deepEqual(report.verdicts.map((v) => [v.pass, v.reason]), report.verdicts.map(() => [false, result.reason]));
    assert.deepEqual({ passes: result.metrics.passes, pass_rate: result.metrics.pass_rate }, { passes: 0, pass_rate: 0 });
  });

  it('fails a yes whose evidence is not in the output', async () => {
    api = await startAnthropicApiServer({ policy: skillPolicy(() => verdictAnswer('yes', 'This release makes everything perfect.')) });
    const { result } = await runAgent(skillAssignment('skill-no-evidence', {}), api);
    assert.equal(result.status, 'succeeded', result.reason);
    assert.deepEqual(result.skill!.verdicts[1], {
      eval: 'opens-with-summary',
      pass: false,
      evidence: 'This release makes everything perfect.',
      reason: 'no evidence: the judge answered yes, but its quote is not in the output',
    });
    assert.equal(result.metrics['eval.opens-with-summary'], 0);
  });

  it('judges every judge eval a second time for a consistency sample', async () => {
    let asked = 0;
    api = await startAnthropicApiServer({
      // Re-wrapped and recased quotes still count as found in the output.
      policy: skillPolicy(() => (asked++ === 0 ? verdictAnswer('yes', 'this release brings   DARK mode') : verdictAnswer('no', 'Faster exports'))),
    });
    const { result } = await runAgent(skillAssignment('skill-twice', { judgeTwice: true }), api);
    assert.equal(result.status, 'succeeded', result.reason);
    assert.equal(judgeRequests(api).length, 2);
    assert.deepEqual(result.skill!.verdicts[1], {
      eval: 'opens-with-summary',
      pass: true,
      evidence: 'this release brings   DARK mode',
      second: { pass: false, evidence: 'Faster exports' },
    });
  });

  it('stops on a stop control message, aborting the model call in flight', async () => {
    api = await startAnthropicApiServer({ policy: skillPolicy(rubricJudge([opensWithSummary])), latencyMs: 3_000 });
    const { result } = await runAgent(skillAssignment('skill-stop', {}), api, async (messages, send) => {
      while (!messages.some((m) => m.type === 'started')) await sleep(10);
      while (api!.requests.length === 0) await sleep(10);
      send({ type: 'control', runId: 'skill-stop', attempt: 1, action: 'stop', reason: 'user asked' });
    });
    assert.equal(result.status, 'stopped');
    assert.equal(result.reason, 'stopped: user asked');
    assert.ok(result.finishedAt - result.startedAt < 5000);
    assert.deepEqual(result.skill!.verdicts.map((v) => v.pass), [false, false, false]);
  });

  it('times out past budget plus grace', async () => {
    api = await startAnthropicApiServer({ policy: skillPolicy(rubricJudge([opensWithSummary])), latencyMs: 3_000 });
    const { result } = await runAgent(skillAssignment('skill-timeout', {}, {}, { budgetSeconds: 1, graceSeconds: 0.5 }), api);
    assert.equal(result.status, 'timeout');
    assert.equal(result.reason, 'exceeded budget 1s + grace 0.5s');
    const took = result.finishedAt - result.startedAt;
    assert.ok(took >= 1400 && took < 4000, `took ${took} ms`);
  });

  it('crashes without calling a model when the skill file is missing or the agent has no API key', async () => {
    api = await startAnthropicApiServer({ policy: skillPolicy(rubricJudge([opensWithSummary])) });
    const missing = await runAgent(skillAssignment('skill-no-file', { file: 'skills/SKILL.md' }), api);
    assert.equal(missing.result.status, 'crashed');
    assert.equal(missing.result.reason, 'could not prepare the run: the skill file "skills/SKILL.md" is not among the revision\'s files');
    assert.equal(missing.result.skill!.verdicts.length, 3);

    const noKey = await runAgent(skillAssignment('skill-no-key', {}), api, undefined, { withModelApi: false });
    assert.equal(noKey.result.status, 'crashed');
    assert.equal(noKey.result.reason, 'target model target-model failed: ANTHROPIC_API_KEY is not set on the agent, so it cannot call target-model');
    assert.equal(noKey.result.metrics.pass_rate, 0);
    assert.equal(api.requests.length, 0);
  });
});

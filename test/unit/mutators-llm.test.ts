// The llm mutator's pure parts: proposal validation and change identity, the prompt's sections, the
// failure analysis, pricing, and the max-cost stop condition.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateStopConditions } from '../../services/controller/src/decisions/stop-conditions.js';
import { mostCommonPattern } from '../../services/controller/src/mutators/llm/failure-analysis.js';
import { addCall, costUsd, emptyUsage, pricingFor } from '../../services/controller/src/mutators/llm/pricing.js';
import { systemPrompt, userPrompt } from '../../services/controller/src/mutators/llm/prompt.js';
import { normalizedDiffHash, validateProposal } from '../../services/controller/src/mutators/llm/validate-proposal.js';
import type { MutationContext } from '../../services/controller/src/mutators/mutator.js';

const TRAIN = 'const LR = 0.01;\nconst WIDTH = 16;\nconsole.log(LR * WIDTH);\n';
const files = { 'train.js': TRAIN };
const change = (edits: unknown, extra: Record<string, unknown> = {}) => ({ hypothesis: 'h', variable: 'LR', description: 'LR 0.01 -> 0.02', edits, ...extra });
const context = { files, mutablePaths: ['train.js'], maxDiffLines: 5, tried: new Map<string, string>() };

function mutationContext(overrides: Partial<MutationContext> = {}): MutationContext {
  return {
    studyId: 's',
    branchIndex: 0,
    head: { revisionId: 'head', score: 2.5, files },
    triedFromHead: new Set(),
    objective: { metric: 'val_bpb', direction: 'minimize' },
    mutablePaths: ['train.js'],
    instructions: 'Tune LR first.',
    evidence: [],
    history: [],
    ...overrides,
  };
}

describe('proposal validation', () => {
  it('accepts one exact edit of a mutable file and names the change by its diff', () => {
    const checked = validateProposal(change([{ path: 'train.js', search: 'const LR = 0.01;', replace: 'const LR = 0.02;' }]), context);
    assert.ok(checked.ok);
    assert.match(checked.changeKey, /^diff:[0-9a-f]{32}$/);
    assert.match(checked.diff, /-const LR = 0\.01;\n\+const LR = 0\.02;/);
  });

  it('rejects each kind of invalid proposal with the exact reason', () => {
    const cases: [unknown, RegExp][] = [
      [change([{ path: 'train.js', search: 'const DEPTH = 4;', replace: 'x' }]), /edits\[0\] \(train\.js\): search text not found/],
      [change([{ path: 'prepare.js', search: 'a', replace: 'b' }]), /the file is read-only; only train\.js may be changed/],
      [change([{ path: 'train.js', search: 'const', replace: 'let' }]), /found 2 times; it must match exactly once/],
      [change([{ path: 'train.js', search: 'const LR = 0.01;', replace: 'const LR = 0.01;' }]), /unchanged/],
      [change([]), /edits must be a non-empty list/],
      [{ hypothesis: '', variable: 'x', description: 'd', edits: [] }, /hypothesis must be a non-empty string/],
      [change([{ path: 'train.js', search: TRAIN, replace: 'a\nb\nc\nd\ne\nf\n' }]), /touches 9 lines; at most 5/],
    ];
    for (const [input, error] of cases) {
      const checked = validateProposal(input, context);
      assert.ok(!checked.ok);
      assert.match(checked.error, error);
    }
  });

  it('recognizes a change already tried, even re-spaced', () => {
    const first = validateProposal(change([{ path: 'train.js', search: 'const LR = 0.01;', replace: 'const LR = 0.02;' }]), context);
    assert.ok(first.ok);
    const tried = new Map([[first.changeKey, '#3 LR 0.01 -> 0.02']]);
    const again = validateProposal(change([{ path: 'train.js', search: 'const LR = 0.01;', replace: 'const  LR =  0.02;' }]), { ...context, tried });
    assert.ok(!again.ok);
    assert.match(again.error, /already tried from this head \(#3 LR 0\.01 -> 0\.02\)/);
    assert.notEqual(normalizedDiffHash('-a\n+b'), normalizedDiffHash('-a\n+c'));
  });
});

describe('the prompt', () => {
  it('puts the rules and program.md in a cached system prefix, and the head, history, tried changes and failure analysis after it', () => {
    const ctx = mutationContext({
      history: [
        { number: 1, outcome: 'discard', hypothesis: 'wider helps', variable: 'WIDTH', description: 'WIDTH 16 -> 32', changeKey: 'k1', score: 2.6, parentRevisionId: 'head', reason: 'Δ=+0.1, within noise' },
        { number: 2, outcome: 'crash', hypothesis: 'bigger LR', variable: 'LR', description: 'LR 0.01 -> 1', changeKey: 'k2', score: null, parentRevisionId: 'head', reason: '1 of 1 runs failed; run 1: crashed (exit code 1)' },
      ],
      evidence: [{ experimentNumber: 2, outcome: 'crash', reason: 'exit code 1', logTail: ['loss is NaN', 'FAIL'], curves: { loss: [{ step: 1, value: 3 }, { step: 2, value: 9 }] } }],
    });
    const system = systemPrompt(ctx, 40);
    assert.match(system[0]!.text, /exactly ONE change/);
    assert.match(system[0]!.text, /Simplicity criterion/);
    assert.match(system.at(-1)!.text, /Tune LR first\./);
    assert.deepEqual(system.at(-1)!.cache_control, { type: 'ephemeral' });
    const user = userPrompt(ctx, 30);
    assert.match(user, /### train\.js\n```\nconst LR = 0\.01;/);
    assert.match(user, /\| 2 \| crash \|  \| LR \| LR 0\.01 -> 1 \| bigger LR \| 1 of 1 runs failed/);
    assert.match(user, /From the current head \(never repeat these\)[\s\S]*#1 WIDTH 16 -> 32 \(discard\)/);
    assert.match(user, /val_bpb trend \(minimize; \* = became the head\): #1 2\.6000/);
    assert.match(user, /loss is NaN\nFAIL/);
    assert.match(user, /#2 loss: 3 → 9/);
  });

  it('summarizes the history beyond its limit instead of listing it', () => {
    const history = Array.from({ length: 12 }, (_, i) => ({
      number: i + 1, outcome: i === 3 ? 'keep' : 'discard', hypothesis: 'h', variable: `V${i % 3}`, description: `change ${i + 1}`,
      changeKey: `k${i}`, score: 2, parentRevisionId: 'old', reason: null,
    }));
    const user = userPrompt(mutationContext({ history }), 5);
    assert.match(user, /Experiments #1–#7, summarized: 6 discard, 1 keep\./);
    assert.match(user, /Kept among them: #4 change 4\./);
    assert.doesNotMatch(user, /\| 3 \| discard/);
    assert.match(user, /\| 12 \| discard/);
  });

  it('shows a skill whole even when it holds code blocks of its own, with the skill rules and failure analysis', () => {
    const skill = '# Skill\n\nExample:\n\n```md\n- a bullet\n```\n\n## Rules\n- Be brief.\n';
    const ctx = mutationContext({
      flavor: 'skill',
      head: { revisionId: 'head', score: 0.5, files: { 'SKILL.md': skill } },
      mutablePaths: ['SKILL.md'],
      objective: { metric: 'pass_rate', direction: 'maximize' },
      skill: {
        evals: [{ name: 'brief', kind: 'length', checks: 'the output has at most 50 words' }],
        outputs: 2,
        failuresByEval: [{ name: 'brief', failed: 1 }],
        byInput: [{ name: 'a', passes: 1, trials: 1 }, { name: 'b', passes: 0, trials: 1 }],
        examples: [{ input: 'b', output: 'Long.\n```\ncode\n```', failed: [{ eval: 'brief', evidence: '73 words', reason: 'more than the maximum of 50 words' }] }],
      },
    });
    const user = userPrompt(ctx, 30);
    assert.ok(user.includes(`### SKILL.md\n\`\`\`\`\n${skill}\n\`\`\`\`\n`), user);
    assert.match(user, /Most common failing eval: brief — failed 1 of 2 outputs/);
    assert.match(user, /### An output for input b, failing brief\n- brief: more than the maximum of 50 words; evidence: "73 words"\nOutput:\n````\nLong\./);
    assert.match(systemPrompt(ctx, 20)[0]!.text, /Make ONE targeted edit to SKILL\.md/);
  });

  it('finds the most common failure pattern across different numbers', () => {
    assert.deepEqual(mostCommonPattern(['exit code 3: boom', 'exit code 4: boom', 'timeout after 20s']), { text: 'exit code 3: boom', count: 2 });
    assert.equal(mostCommonPattern([]), null);
  });
});

describe('cost', () => {
  it('prices tokens by kind, from the study or the model family', () => {
    const pricing = pricingFor('claude-sonnet-4-6', undefined)!;
    assert.equal(costUsd({ inputTokens: 1_000_000, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0 }, pricing), 3);
    const usage = addCall(emptyUsage('m'), { inputTokens: 100, outputTokens: 50, cacheCreationTokens: 1000, cacheReadTokens: 0 }, { inputPerMTok: 1, outputPerMTok: 2, cacheWritePerMTok: 3, cacheReadPerMTok: 4 });
    assert.equal(usage.calls, 1);
    assert.ok(Math.abs(usage.costUsd - (100 + 100 + 3000) / 1e6) < 1e-12);
    assert.equal(pricingFor('some-other-model', undefined), null);
  });

  it('stops a study at maxCostUsd', () => {
    const base = {
      objective: { metric: 'val_bpb', direction: 'minimize' as const }, decidedExperiments: 3, bestScore: 2,
      startedAt: new Date(0), now: new Date(1000), experimentsSinceLastKeep: 0, userRequested: false,
    };
    assert.equal(evaluateStopConditions({ ...base, stop: { maxCostUsd: 1 }, modelCostUsd: 0.5 }).stop, false);
    const verdict = evaluateStopConditions({ ...base, stop: { maxCostUsd: 1 }, modelCostUsd: 1.25 });
    assert.ok(verdict.stop);
    assert.equal(verdict.condition, 'max-cost');
    assert.equal(verdict.reason, 'the model has cost $1.2500, reaching max-cost-usd $1');
  });
});

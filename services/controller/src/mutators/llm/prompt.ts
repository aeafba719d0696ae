// What the model is shown, each part in its own section. The rules and the study's instructions form a
// stable prefix (the same for every proposal of a study) and carry the cache breakpoint; the head, the
// history and the failure analysis change every time and come after it.
import type { TextBlockParam, Tool } from '@anthropic-ai/sdk/resources/messages';
import type { MutationContext } from '../mutator.js';
import { analyzeFailures } from './failure-analysis.js';
import { fenced } from './fence.js';
import { skillFailureAnalysis, skillRules } from './skill-prompt.js';

export const PROPOSE_TOOL: Tool = {
  name: 'propose_change',
  description: 'Propose the next experiment: one change to the mutable files, as exact search/replace edits.',
  input_schema: {
    type: 'object',
    properties: {
      hypothesis: { type: 'string', description: 'Why this change should improve the objective, in one or two sentences.' },
      variable: { type: 'string', description: 'The one thing the change varies (a constant, a layer, an optimizer setting).' },
      description: { type: 'string', description: 'A short summary for the results table, e.g. "LR 0.04 -> 0.02".' },
      edits: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          properties: {
            path: { type: 'string', description: 'A mutable file, exactly as named in the prompt.' },
            search: { type: 'string', description: 'Text that occurs exactly once in the file, copied verbatim.' },
            replace: { type: 'string', description: 'What replaces it.' },
          },
          required: ['path', 'search', 'replace'],
        },
      },
    },
    required: ['hypothesis', 'variable', 'description', 'edits'],
  },
};

export function systemPrompt(ctx: MutationContext, maxDiffLines: number): TextBlockParam[] {
  const rules = ctx.flavor === 'skill' ? skillRules(ctx, maxDiffLines) : trainingRules(ctx, maxDiffLines);
  const blocks: TextBlockParam[] = [{ type: 'text', text: rules }];
  if (ctx.instructions) blocks.push({ type: 'text', text: `The study's own instructions (${ctx.flavor === 'skill' ? 'about the skill' : 'program.md'}):\n\n${ctx.instructions}` });
  // The breakpoint on the last stable block caches tools + system for every later proposal of the study.
  blocks[blocks.length - 1] = { ...blocks[blocks.length - 1]!, cache_control: { type: 'ephemeral' } };
  return blocks;
}

function trainingRules(ctx: MutationContext, maxDiffLines: number): string {
  const { metric, direction } = ctx.objective;
  return [
    'You are an autonomous research engineer improving a training script, one experiment at a time.',
    `Each experiment runs under a fixed budget and is judged by ${metric} (${direction === 'minimize' ? 'lower' : 'higher'} is better), against the current head, with the run-to-run noise taken into account.`,
    '',
    'Rules:',
    '1. Propose exactly ONE change: one idea that varies one thing, so its effect can be attributed. Name that thing in `variable`.',
    `2. Edit only the mutable files: ${ctx.mutablePaths.join(', ')}. Every other file is read-only.`,
    '3. Each edit is an exact search/replace: `search` must be copied verbatim from the file as shown and occur in it exactly once; include enough surrounding text to make it unique.',
    `4. Keep the change small: at most ${maxDiffLines} changed lines.`,
    '5. Never propose a change that was already tried from the current head (they are listed); learn from what was tried instead.',
    '6. Simplicity criterion: all else equal, simpler is better. A small gain that adds ugly complexity is not worth it; removing something and getting an equal or better result is a win. Prefer deleting code to adding it when the result holds.',
    '7. Read the failure analysis: do not repeat a change that crashed or timed out, and fix the cause instead of working around it.',
    ...guardRule(ctx),
    'Answer with the propose_change tool only.',
  ].join('\n');
}

function guardRule(ctx: MutationContext): string[] {
  if (!ctx.guards?.length) return [];
  return [
    '8. Every run must also pass these guards; a change that fails one is discarded (guard-failed) however much it improves the metric:',
    ...ctx.guards.map((guard) => `   - ${guard}`),
  ];
}

export function userPrompt(ctx: MutationContext, historyLimit: number): string {
  const { metric } = ctx.objective;
  const sections: string[] = [];
  sections.push(`## The current head (${metric} = ${ctx.head.score ?? 'not measured yet'})\n`);
  for (const [path, content] of Object.entries(ctx.head.files)) sections.push(`### ${path}\n${fenced(content)}\n`);
  sections.push(historySection(ctx, historyLimit));
  sections.push(triedSection(ctx));
  sections.push(ctx.flavor === 'skill' ? skillFailureAnalysis(ctx) : analyzeFailures(ctx));
  sections.push('Propose the next experiment with the propose_change tool.');
  return sections.join('\n');
}

function historySection(ctx: MutationContext, limit: number): string {
  const { metric } = ctx.objective;
  const experiments = [...ctx.history].sort((a, b) => a.number - b.number);
  if (experiments.length === 0) return '## History\n\nNo experiments yet besides the baseline.\n';
  const older = experiments.slice(0, Math.max(0, experiments.length - limit));
  const recent = experiments.slice(older.length);
  const lines = ['## History of this branch', ''];
  if (older.length > 0) {
    // Compacted: what the older experiments taught, not each of them.
    const counts = new Map<string, number>();
    for (const e of older) counts.set(e.outcome ?? 'pending', (counts.get(e.outcome ?? 'pending') ?? 0) + 1);
    const kept = older.filter((e) => e.outcome === 'keep').map((e) => `#${e.number} ${e.description}`);
    lines.push(`Experiments #${older[0]!.number}–#${older[older.length - 1]!.number}, summarized: ${[...counts].map(([o, n]) => `${n} ${o}`).join(', ')}.`);
    if (kept.length > 0) lines.push(`Kept among them: ${kept.join('; ')}.`);
    const variables = [...new Set(older.map((e) => e.variable).filter((v): v is string => Boolean(v)))];
    if (variables.length > 0) lines.push(`Variables explored: ${variables.join(', ')}.`);
    lines.push('');
  }
  lines.push(`| # | outcome | ${metric} | variable | change | hypothesis | statistics or failure |`, '|---|---|---|---|---|---|---|');
  for (const e of recent) {
    const cell = (text: string | null | undefined) => (text ?? '').replace(/\|/g, '/').replace(/\s+/g, ' ').slice(0, 240);
    lines.push(`| ${e.number} | ${e.outcome ?? 'running'} | ${e.score ?? ''} | ${cell(e.variable)} | ${cell(e.description)} | ${cell(e.hypothesis)} | ${cell(e.reason)} |`);
  }
  return `${lines.join('\n')}\n`;
}

function triedSection(ctx: MutationContext): string {
  const tried = ctx.history.filter((e) => e.parentRevisionId === ctx.head.revisionId && e.changeKey !== null);
  const all = ctx.history.filter((e) => e.changeKey !== null && e.number > 0);
  const lines = ['## Changes already tried'];
  lines.push('', `From the current head (never repeat these): ${tried.length === 0 ? 'none yet.' : ''}`);
  for (const e of tried) lines.push(`- #${e.number} ${e.description} (${e.outcome ?? 'running'})`);
  if (all.length > tried.length) {
    lines.push('', 'From earlier heads:');
    for (const e of all.filter((x) => !tried.includes(x))) lines.push(`- #${e.number} ${e.description} (${e.outcome ?? 'running'})`);
  }
  return `${lines.join('\n')}\n`;
}

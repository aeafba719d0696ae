// changelog.md: every experiment, kept or not, with its hypothesis, change and result. After the
// autoresearch skill's format (`## Experiment N — keep|discard`), with the statistics behind each decision.
import type { StudySpec } from '../../../../schemas/src/study-spec.js';
import { poolsEvidence } from '../decisions/adaptive-repeats.js';
import { isStaged, plannedRuns, stageOf, stagesOf } from '../spec/stages.js';
import type { ExperimentRow, GuardVerdict } from '../store/schema.js';

export interface ChangelogInput {
  spec: StudySpec;
  experiments: ExperimentRow[];
  /** Per experiment id: the values of its runs (at the stage it reached), and the log tail of a failed run. */
  runValues: Map<string, number[]>;
  failureTails: Map<string, string[]>;
  /** Per guard-failed experiment: the failed command guard, the run it failed on and its output's last lines. */
  guardTails?: Map<string, { guard: string; run: number; tail: string[] }>;
}

const FAILURE_TAIL_LINES = 50;

export function formatChangelog(input: ChangelogInput): string {
  const { spec } = input;
  const metric = spec.objective.metric;
  const sections = input.experiments
    .filter((e) => e.status === 'decided')
    .sort((a, b) => a.number - b.number)
    .map((e) => {
      // A retried change (decision.maxRepeats) was judged on its earlier tries' runs too: they are shown with its own.
      const earlier = earlierTries(input, e);
      const values = [...earlier.flatMap((t) => input.runValues.get(t.id) ?? []), ...(input.runValues.get(e.id) ?? [])];
      const lines = [`## Experiment ${e.number} — ${e.outcome}`, ''];
      const score = e.score === null
        ? `no ${metric} (${e.outcome})`
        : `${metric} ${e.score.toFixed(6)}${values.length > 1 ? ` (mean of ${values.length} runs: ${values.map((v) => v.toFixed(6)).join(', ')})` : ''}`;
      lines.push(`**Score:** ${score}`);
      lines.push(`**Change:** ${changeOf(e)}`);
      lines.push(`**Reasoning:** ${e.hypothesis || '—'}`);
      lines.push(`**Result:** ${e.reason ?? e.outcome ?? ''}`);
      const stagesLine = stagesOfExperiment(spec, e);
      if (stagesLine) lines.push(`**Stages:** ${stagesLine}`);
      if (earlier.length > 0) {
        const before = earlier.reduce((n, t) => n + (input.runValues.get(t.id)?.length ?? 0), 0);
        const tries = earlier.map((t) => `#${t.number}`).join(', ');
        lines.push(`**Retry:** the same change as ${tries}, from the same head, discarded there within the noise; its ${before} run${before === 1 ? '' : 's'} there and ${values.length - before} here are judged together`);
      } else if (e.kind === 'candidate' && e.repeats > plannedRuns(spec, e.stageReached)) {
        const atStage = stageOf(spec, e.stageReached).repeats;
        const runs = e.repeats - plannedRuns(spec, e.stageReached) + atStage;
        lines.push(`**Repeats:** ${runs} runs: promising but not yet beyond the noise after ${atStage}, it was run again (adaptive repeats)`);
      }
      const confirmation = e.stats?.confirmation;
      if (confirmation) {
        const held = e.outcome === 'keep' ? 'the gain held: confirmed' : 'the gain did not hold: reverted, its branch stayed on its head';
        lines.push(`**Confirmation:** ${confirmation.freshRuns} fresh runs, mean ${confirmation.freshMean.toFixed(6)} (first runs ${confirmation.firstMean.toFixed(6)}); ${held}. First runs alone: ${confirmation.firstSummary}`);
      }
      const guards = e.stats?.guards;
      if (guards && guards.length > 0) lines.push(`**Guards:** ${guards.map(guardCell).join('; ')}`);
      if (e.diff) lines.push('', '```diff', e.diff.trimEnd(), '```');
      const guardTail = input.guardTails?.get(e.id);
      if (guardTail && guardTail.tail.length > 0) {
        lines.push('', `**Guard "${guardTail.guard}" output** (run ${guardTail.run}, last lines):`, '', '```', ...guardTail.tail, '```');
      }
      const tail = input.failureTails.get(e.id);
      if (tail && tail.length > 0) {
        lines.push('', '**Failing output** (last lines):', '', '```', ...tail.slice(-FAILURE_TAIL_LINES), '```');
      }
      return lines.join('\n');
    });
  const direction = spec.objective.direction === 'minimize' ? 'lower is better' : 'higher is better';
  return [`# Changelog: ${spec.name}`, '', `Objective: ${metric} (${direction}).`, '', ...sections.flatMap((s) => [s, ''])].join('\n');
}

/** `tests passed (3 runs)`, `memory passed (3 runs; not measured on 1)`, `speed FAILED on run 2: ran 340.2 s > 300 s` */
function guardCell(verdict: GuardVerdict): string {
  const unmeasured = verdict.unmeasured ? `; not measured on ${verdict.unmeasured}` : '';
  if (verdict.passed) return `${verdict.name} passed (${verdict.runs} run${verdict.runs === 1 ? '' : 's'}${unmeasured})`;
  return `${verdict.name} FAILED on run ${verdict.failure?.run ?? '?'}: ${verdict.failure?.reason ?? ''}`;
}

/** With stages: the stage it reached and each earlier stage's verdict (`reached full (2 of 2); screen: … promoted to full`). */
function stagesOfExperiment(spec: ChangelogInput['spec'], e: ExperimentRow): string | null {
  if (!isStaged(spec) || e.kind === 'adopt' || e.candidateRevisionId === null) return null;
  const count = stagesOf(spec).length;
  if (e.kind !== 'candidate') return `every stage measured (${stagesOf(spec).map((s) => s.name).join(', ')})`;
  const reached = `reached ${stageOf(spec, e.stageReached).name} (${e.stageReached + 1} of ${count})`;
  // A screened-out candidate's last verdict is its result, already said above.
  const verdicts = e.outcome === 'screened-out' ? e.stageVerdicts.slice(0, -1) : e.stageVerdicts;
  return [reached, ...verdicts.map((v) => v.summary)].join('; ');
}

function changeOf(e: ExperimentRow): string {
  if (e.kind === 'remeasure') return 'none: the best head, run again unchanged';
  if (e.kind === 'adopt') return `${e.description}: its head becomes that revision (no runs; the diff is from its old head)`;
  return e.changeKey === null ? 'none: the unmodified workspace' : e.description;
}

/** The earlier tries of the same change from the same head, discarded within the noise, when the study pools them. */
function earlierTries(input: ChangelogInput, e: ExperimentRow): ExperimentRow[] {
  if (!poolsEvidence(input.spec) || e.kind !== 'candidate' || e.changeKey === null) return [];
  return input.experiments
    .filter((t) => t.number < e.number && t.outcome === 'discard' && t.branchId === e.branchId && t.parentRevisionId === e.parentRevisionId && t.changeKey === e.changeKey)
    .sort((a, b) => a.number - b.number);
}

// The one place that decides a skill run's status, reason and metrics, and builds its report. Pure.
// A run is `succeeded` only when the target answered and every eval reached a verdict; a pass is only
// ever a verdict's verified pass, so a failed run never counts as one.
import type { EvalVerdict, SkillAssignment, SkillRunReport } from '../../../../schemas/src/messages.js';
import type { RunOutcome } from '../outcome.js';
import type { ResultBody } from '../reporter.js';
import type { ModelUsage } from './model-caller.js';
import { clip, failVerdict } from './verdict.js';

export const MAX_REPORTED_OUTPUT = 65_536;

export interface SkillRunFacts {
  skill: SkillAssignment;
  /** Why the run could not start (a missing skill file, an unsafe path); no model was called. */
  setupProblem?: string;
  /** Stopped on request, or out of time: whichever came first. */
  interrupted?: { status: 'stopped' | 'timeout'; reason: string };
  /** The target's output; undefined when it could not be had. */
  output?: string;
  targetProblem?: string;
  /** One per eval in the spec's order once the evals ran; empty when they never did (each then fails). */
  verdicts: readonly EvalVerdict[];
  evalProblems: readonly string[];
  usage: ModelUsage;
  startedAt: number;
  finishedAt: number;
  logTail: string[];
}

export function decideSkillOutcome(facts: SkillRunFacts): RunOutcome {
  if (facts.setupProblem !== undefined) return { status: 'crashed', reason: `could not prepare the run: ${facts.setupProblem}` };
  if (facts.interrupted !== undefined) return { ...facts.interrupted };
  if (facts.targetProblem !== undefined || facts.output === undefined) {
    return { status: 'crashed', reason: `target model ${facts.skill.target.model} failed: ${facts.targetProblem ?? 'no output'}` };
  }
  if (facts.evalProblems.length > 0) return { status: 'crashed', reason: facts.evalProblems.join('; ') };
  return { status: 'succeeded' };
}

export function buildSkillResult(facts: SkillRunFacts): ResultBody {
  const outcome = decideSkillOutcome(facts);
  const verdicts = completeVerdicts(facts, outcome);
  return {
    status: outcome.status,
    ...(outcome.reason !== undefined && { reason: outcome.reason }),
    exitCode: null,
    signal: null,
    startedAt: facts.startedAt,
    finishedAt: facts.finishedAt,
    peakMemoryMb: null,
    metrics: skillMetrics(verdicts),
    logTail: facts.logTail,
    skill: skillReport(facts, verdicts),
  };
}

/** pass_rate, passes, evals and eval.<name> (1 pass, 0 fail). */
export function skillMetrics(verdicts: readonly EvalVerdict[]): Record<string, number> {
  const passes = verdicts.filter((verdict) => verdict.pass).length;
  const metrics: Record<string, number> = { pass_rate: verdicts.length === 0 ? 0 : passes / verdicts.length, passes, evals: verdicts.length };
  for (const verdict of verdicts) metrics[`eval.${verdict.eval}`] = verdict.pass ? 1 : 0;
  return metrics;
}

/** One verdict per eval in the spec's order; evals that never ran (no output, the run stopped first) fail with the run's reason. */
function completeVerdicts(facts: SkillRunFacts, outcome: RunOutcome): EvalVerdict[] {
  if (facts.verdicts.length === facts.skill.evals.length) return [...facts.verdicts];
  const evidence = facts.output === undefined ? 'no output' : 'not evaluated';
  return facts.skill.evals.map((spec) => failVerdict(spec.name, evidence, outcome.reason ?? 'not evaluated'));
}

function skillReport(facts: SkillRunFacts, verdicts: EvalVerdict[]): SkillRunReport {
  return {
    input: clip(facts.skill.input.name, 64),
    holdout: facts.skill.input.holdout,
    output: clip(facts.output ?? '', MAX_REPORTED_OUTPUT),
    verdicts,
    modelCalls: facts.usage.calls,
    inputTokens: facts.usage.inputTokens,
    outputTokens: facts.usage.outputTokens,
  };
}

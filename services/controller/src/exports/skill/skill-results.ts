// Everything a skill study's exports say, gathered once: per experiment, the pass counts overall, per eval
// and per input, and the failing outputs; the holdout rates at the baseline and the end; the judge's
// agreement with itself. results.tsv, results.json, changelog.md and report.md are all views of this.
import type { StudyRow, ExperimentRow, RunRow, SkillOutputRow } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { skillInputName } from '../../scheduler/skill-assignment.js';
import { isBetter } from '../../scheduler/study-progress.js';

export interface Tally {
  passes: number;
  trials: number;
}

export interface ScoredOutputs {
  overall: Tally;
  perEval: Record<string, Tally>;
  perInput: Record<string, Tally>;
  failing: { input: string; output: string; runStatus: string; failed: { eval: string; evidence: string; reason: string | null }[] }[];
}

export interface SkillExperimentResult {
  experiment: ExperimentRow;
  working: ScoredOutputs;
  /** Set for the experiments whose revision ran on the holdout inputs: the baseline and the best. */
  holdout: ScoredOutputs | null;
}

export interface SkillResults {
  study: StudyRow;
  evals: string[];
  experiments: SkillExperimentResult[];
  baseline: SkillExperimentResult | null;
  /** The best branch head's experiment (the baseline when nothing was kept). */
  best: SkillExperimentResult | null;
  judgeConsistency: { judged: number; agreed: number } | null;
}

export async function skillResultsOf(store: Store, study: StudyRow): Promise<SkillResults> {
  const evals = study.spec.skill!.evals.map((e) => e.name);
  const experiments = (await store.listExperiments(study.id, { limit: 1_000_000 })).sort((a, b) => a.number - b.number);
  const outputs = await store.listSkillOutputs({ studyId: study.id });
  const outputsByRun = new Map(outputs.map((o) => [o.runId, o]));
  const results: SkillExperimentResult[] = [];
  for (const experiment of experiments) {
    const runs = experiment.candidateRevisionId === null ? [] : await store.listRuns(experiment.id);
    const working = runs.filter((r) => r.role === 'working');
    const holdout = runs.filter((r) => r.role === 'holdout');
    results.push({
      experiment,
      working: score(study, evals, working, outputsByRun, 0),
      holdout: holdout.length > 0 && holdout.every((r) => r.status !== 'queued' && r.status !== 'running')
        ? score(study, evals, holdout, outputsByRun, experiment.repeats)
        : null,
    });
  }
  const seconds = outputs.flatMap((o) => o.verdicts).filter((v) => v.second !== undefined);
  const branches = await store.listBranches(study.id);
  const bestBranch = branches
    .filter((b) => b.headScore !== null && b.headExperimentId !== null)
    .reduce<(typeof branches)[number] | null>((top, b) => (top === null || isBetter(b.headScore!, top.headScore!, 'maximize') ? b : top), null);
  return {
    study,
    evals,
    experiments: results,
    baseline: results.find((r) => r.experiment.number === 0 && r.experiment.outcome === 'baseline') ?? null,
    best: results.find((r) => r.experiment.id === bestBranch?.headExperimentId) ?? null,
    judgeConsistency: seconds.length === 0 ? null : { judged: seconds.length, agreed: seconds.filter((v) => v.second!.pass === v.pass).length },
  };
}

/** A run that did not succeed scored no passes: every eval counts as failed on it. */
function score(study: StudyRow, evals: string[], runs: RunRow[], outputs: Map<string, SkillOutputRow>, firstIndex: number): ScoredOutputs {
  const skill = study.spec.skill!;
  const result: ScoredOutputs = { overall: { passes: 0, trials: 0 }, perEval: {}, perInput: {}, failing: [] };
  for (const name of evals) result.perEval[name] = { passes: 0, trials: 0 };
  for (const run of runs) {
    const output = outputs.get(run.id);
    const input = output?.input ?? skillInputName(skill, run.role, run.repeatIndex - firstIndex);
    const byInput = (result.perInput[input] ??= { passes: 0, trials: 0 });
    const failed: ScoredOutputs['failing'][number]['failed'] = [];
    for (const name of evals) {
      const verdict = run.status === 'succeeded' ? output?.verdicts.find((v) => v.eval === name) : undefined;
      const pass = verdict?.pass === true;
      for (const tally of [result.overall, result.perEval[name]!, byInput]) {
        tally.trials += 1;
        if (pass) tally.passes += 1;
      }
      if (!pass) failed.push({ eval: name, evidence: verdict?.evidence ?? '', reason: verdict?.reason ?? (run.status === 'succeeded' ? null : run.reason ?? run.status) });
    }
    if (failed.length > 0) result.failing.push({ input, output: output?.output ?? '', runStatus: run.status, failed });
  }
  return result;
}

export function rateOf(tally: Tally | null | undefined): number | null {
  return tally && tally.trials > 0 ? tally.passes / tally.trials : null;
}

export function formatRate(tally: Tally | null | undefined): string {
  const rate = rateOf(tally);
  return rate === null ? 'not measured' : `${tally!.passes}/${tally!.trials} (${Number((rate * 100).toFixed(1))}%)`;
}

// results.tsv and results.json of a skill study, in the autoresearch skill's columns: experiment, score,
// max_score, pass_rate, status, description; and the same with a per-eval and per-input breakdown.
import type { ExperimentRow } from '../../store/schema.js';
import { rateOf, type ScoredOutputs, type SkillResults, type Tally } from './skill-results.js';

/** baseline, keep or discard; a failed or invalid experiment keeps its own outcome as its status. */
export function skillStatus(outcome: ExperimentRow['outcome']): string {
  return outcome ?? 'pending';
}

export function percentOf(tally: Tally): string {
  const rate = rateOf(tally);
  return rate === null ? '' : `${(rate * 100).toFixed(1)}%`;
}

function oneLine(text: string): string {
  return text.replace(/[\t\r\n]+/g, ' ').trim();
}

/** Decided experiments in number order. */
export function formatSkillResultsTsv(results: SkillResults): string {
  const header = ['experiment', 'score', 'max_score', 'pass_rate', 'status', 'description'].join('\t');
  const rows = results.experiments
    .filter((r) => r.experiment.status === 'decided')
    .map(({ experiment, working }) => {
      const ran = experiment.outcome !== 'invalid' && working.overall.trials > 0;
      const detail = experiment.outcome === 'invalid' || experiment.outcome === 'crash' || experiment.outcome === 'timeout' ? ` (${experiment.reason ?? ''})` : '';
      return [
        experiment.number,
        ran ? working.overall.passes : 0,
        ran ? working.overall.trials : 0,
        ran ? percentOf(working.overall) : '',
        skillStatus(experiment.outcome),
        oneLine(`${experiment.description}${detail}`),
      ].join('\t');
    });
  return `${[header, ...rows].join('\n')}\n`;
}

function breakdown(scored: ScoredOutputs) {
  const withRate = (tally: Tally) => ({ ...tally, passRate: rateOf(tally) });
  return {
    score: scored.overall.passes,
    maxScore: scored.overall.trials,
    passRate: rateOf(scored.overall),
    perEval: Object.fromEntries(Object.entries(scored.perEval).map(([name, tally]) => [name, withRate(tally)])),
    perInput: Object.fromEntries(Object.entries(scored.perInput).map(([name, tally]) => [name, withRate(tally)])),
  };
}

export function formatSkillResultsJson(results: SkillResults): string {
  const { study, baseline, best } = results;
  const holdoutBefore = baseline?.holdout ?? null;
  const holdoutAfter = best?.holdout ?? null;
  const json = {
    study: study.spec.name,
    skillFile: study.spec.skill!.file,
    status: study.status,
    stopReason: study.stopReason,
    evals: study.spec.skill!.evals.map((e) => ({ name: e.name, kind: e.kind })),
    experiments: results.experiments
      .filter((r) => r.experiment.status === 'decided')
      .map(({ experiment, working, holdout }) => ({
        experiment: experiment.number,
        status: skillStatus(experiment.outcome),
        description: experiment.description,
        hypothesis: experiment.hypothesis,
        result: experiment.reason,
        ...breakdown(working),
        ...(holdout && { holdout: breakdown(holdout) }),
      })),
    summary: {
      bestExperiment: best?.experiment.number ?? null,
      working: { before: baseline ? rateOf(baseline.working.overall) : null, after: best ? rateOf(best.working.overall) : null },
      holdout: {
        before: rateOf(holdoutBefore?.overall),
        after: rateOf(holdoutAfter?.overall),
        improved: holdoutBefore && holdoutAfter ? rateOf(holdoutAfter.overall)! > rateOf(holdoutBefore.overall)! : null,
      },
      judgeConsistency: results.judgeConsistency && {
        ...results.judgeConsistency,
        agreement: results.judgeConsistency.agreed / results.judgeConsistency.judged,
      },
    },
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

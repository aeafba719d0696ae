// report.md: did the skill get better, and does the gain hold on inputs the loop never saw? The working
// and holdout pass rates before (the baseline) and after (the best revision), per eval, and a warning
// when the holdout rate did not improve.
import { formatRate, rateOf, type SkillResults } from './skill-results.js';

export function formatSkillReport(results: SkillResults, improvedFile: string | null): string {
  const { study, baseline, best } = results;
  const lines = [`# Report: ${study.spec.name}`, ''];
  lines.push(`Status: ${study.status}${study.stopReason ? ` (${study.stopReason})` : ''}.`);
  const decided = results.experiments.filter((r) => r.experiment.status === 'decided');
  const kept = decided.filter((r) => r.experiment.outcome === 'keep');
  lines.push(`Experiments: ${decided.length}, the baseline included; ${kept.length} kept.`);
  if (best) lines.push(`Best: experiment #${best.experiment.number}${best.experiment.number === 0 ? ' (the original skill)' : ''}.`);
  if (improvedFile) lines.push(`Improved skill: \`${improvedFile}\` (the original \`${study.spec.skill!.file}\` is unchanged).`);
  lines.push('', '| pass rate | before (baseline) | after (best) |', '|---|---|---|');
  lines.push(`| working inputs | ${formatRate(baseline?.working.overall)} | ${formatRate(best?.working.overall)} |`);
  const holdoutInputs = study.spec.skill!.inputs.holdout.length;
  if (holdoutInputs > 0) lines.push(`| holdout inputs | ${formatRate(baseline?.holdout?.overall)} | ${formatRate(best?.holdout?.overall)} |`);
  lines.push('', '| eval | before | after |', '|---|---|---|');
  for (const name of results.evals) {
    lines.push(`| ${name} | ${formatRate(baseline?.working.perEval[name])} | ${formatRate(best?.working.perEval[name])} |`);
  }
  lines.push('', ...holdoutVerdict(results, holdoutInputs));
  if (results.judgeConsistency) {
    const { judged, agreed } = results.judgeConsistency;
    lines.push('', `Judge consistency: ${judged} judge verdicts were judged twice; the two agreed ${agreed} times (${Number(((agreed / judged) * 100).toFixed(1))}%).` +
      (agreed / judged < 0.9 ? ' Below 90%: the judge evals are ambiguous; sharpen their pass and fail conditions before trusting small gains.' : ''));
  }
  return `${lines.join('\n')}\n`;
}

function holdoutVerdict(results: SkillResults, holdoutInputs: number): string[] {
  if (holdoutInputs === 0) return ['No holdout inputs: nothing shows whether the gains generalize beyond the working inputs.'];
  const before = rateOf(results.baseline?.holdout?.overall);
  const after = rateOf(results.best?.holdout?.overall);
  if (before === null || after === null) {
    return ['**Warning:** the holdout inputs were not scored at the end (the study was stopped before its final check), so nothing shows whether the gains generalize.'];
  }
  if (results.best?.experiment.number === 0) return ['Nothing was kept, so the holdout rate is the baseline\'s.'];
  if (after <= before) {
    return [`**Warning:** the holdout pass rate did not improve (${formatRate(results.baseline!.holdout!.overall)} → ${formatRate(results.best!.holdout!.overall)}). The gains on the working inputs may not generalize: the skill may have been tuned to them.`];
  }
  return [`The holdout pass rate improved too (${formatRate(results.baseline!.holdout!.overall)} → ${formatRate(results.best!.holdout!.overall)}): the gains generalize to inputs the loop never saw.`];
}

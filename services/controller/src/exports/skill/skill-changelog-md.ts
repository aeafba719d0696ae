// changelog.md of a skill study, in the autoresearch skill's format: one `## Experiment N — keep|discard`
// section per experiment with its Score X/max (%), Change, Reasoning, Result and Failing outputs.
import { formatRate, type SkillExperimentResult, type SkillResults } from './skill-results.js';
import { skillStatus } from './skill-tables.js';

const FAILING_SHOWN = 3;
const OUTPUT_CHARS = 600;

export function formatSkillChangelog(results: SkillResults): string {
  const { spec } = results.study;
  const sections = results.experiments.filter((r) => r.experiment.status === 'decided').map(section);
  return [
    `# Changelog: ${spec.name}`,
    '',
    `The skill \`${spec.skill!.file}\`, scored by ${results.evals.length} binary evals (${results.evals.join(', ')}) on every output; higher pass rate is better.`,
    '',
    ...sections.flatMap((s) => [s, '']),
  ].join('\n');
}

function section(result: SkillExperimentResult): string {
  const { experiment: e, working } = result;
  const lines = [`## Experiment ${e.number} — ${skillStatus(e.outcome)}`, ''];
  const ran = e.outcome !== 'invalid' && working.overall.trials > 0;
  lines.push(`**Score:** ${ran ? formatRate(working.overall) : `none (${e.outcome})`}`);
  lines.push(`**Change:** ${e.changeKey === null ? (e.number === 0 ? 'none: the original skill' : e.description) : e.description}`);
  lines.push(`**Reasoning:** ${e.hypothesis || '—'}`);
  lines.push(`**Result:** ${e.reason ?? e.outcome ?? ''}`);
  if (ran) {
    lines.push(`**Per eval:** ${Object.entries(working.perEval).map(([name, tally]) => `${name} ${tally.passes}/${tally.trials}`).join(', ')}`);
  }
  if (result.holdout) lines.push(`**Holdout:** ${formatRate(result.holdout.overall)}`);
  if (e.diff) lines.push('', '```diff', e.diff.trimEnd(), '```');
  if (ran && working.failing.length > 0) {
    lines.push('', `**Failing outputs** (${working.failing.length} of ${working.overall.trials / Math.max(1, Object.keys(working.perEval).length)}):`);
    for (const failing of working.failing.slice(0, FAILING_SHOWN)) {
      const evals = failing.failed.map((f) => `${f.eval}${f.reason ? ` (${f.reason})` : f.evidence ? ` (evidence: ${JSON.stringify(f.evidence.slice(0, 200))})` : ''}`);
      lines.push('', `- input \`${failing.input}\`${failing.runStatus === 'succeeded' ? '' : `, run ${failing.runStatus}`}: failed ${evals.join('; ')}`);
      if (failing.output) lines.push('', '  ```', ...clip(failing.output).split('\n').map((line) => `  ${line}`), '  ```');
    }
  }
  return lines.join('\n');
}

function clip(text: string): string {
  return text.length > OUTPUT_CHARS ? `${text.slice(0, OUTPUT_CHARS)}…` : text;
}

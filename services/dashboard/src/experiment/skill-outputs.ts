// A skill experiment's outputs: the pass count per eval, and each failing output with every eval it failed
// and the judge's evidence or the reason.
import { h } from '../dom.js';
import type { SkillOutput } from '../api/types.js';

export function renderSkillOutputs(outputs: SkillOutput[], evals: string[]): HTMLElement {
  const working = outputs.filter((o) => !o.holdout);
  const passes = new Map(evals.map((name) => [name, 0]));
  for (const output of working) {
    for (const verdict of output.verdicts) if (verdict.pass && output.status === 'succeeded') passes.set(verdict.eval, (passes.get(verdict.eval) ?? 0) + 1);
  }
  const failing = outputs.filter((o) => o.status !== 'succeeded' || o.verdicts.some((v) => !v.pass));
  return h('section', { class: 'skill-outputs' },
    h('h3', null, 'Evals'),
    h('table', { class: 'kv' }, h('tbody', null, evals.map((name) => h('tr', null, h('th', null, name), h('td', null, `${passes.get(name) ?? 0} of ${working.length} outputs pass`))))),
    h('h3', null, `Failing outputs (${failing.length} of ${outputs.length})`),
    failing.length === 0 ? h('p', { class: 'muted' }, 'Every output passed every eval.') : null,
    failing.map((output) => h('details', { class: 'failing-output' },
      h('summary', null, `${output.input}${output.holdout ? ' (holdout)' : ''}: fails ${output.verdicts.filter((v) => !v.pass).map((v) => v.eval).join(', ') || output.status}`),
      output.status !== 'succeeded' ? h('p', { class: 'reason' }, `The run ${output.status}: ${output.reason ?? ''} (every eval counts as failed)`) : null,
      h('ul', { class: 'verdicts' }, output.verdicts.filter((v) => !v.pass).map((v) => h('li', null,
        h('strong', null, v.eval), ': ', v.reason ?? 'failed',
        v.evidence ? h('blockquote', { class: 'evidence' }, v.evidence) : null))),
      h('pre', { class: 'output' }, output.output),
    )),
  );
}

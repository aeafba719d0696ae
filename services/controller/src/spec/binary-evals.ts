// Evals must be binary. A schema error ("not a known field") would reject a 1-10 scale too, but would not
// say why; this looks at the raw evals first and names the problem in the terms of the method: a scale
// compounds the judge's variability, and more than six evals get gamed instead of met.
import { MAX_EVALS, MIN_EVALS } from '../../../../schemas/src/skill-spec.js';
import type { FieldError } from '../../../../schemas/src/validate.js';

const SCALE_FIELDS = ['scale', 'range', 'scores', 'rating', 'levels', 'points', 'weight'];
const SCALE_KINDS = /^(scale|score|rating|likert|rubric|grade|points?)$/i;
/** "from 1 to 10", "1-10", "on a scale", "rate ...", "out of 5", "how well". */
const SCALE_WORDS = /\b(on a scale|scale of|from \d+ to \d+|\d+\s*(?:-|–|to)\s*\d+\b|out of \d+|rate (?:the|this|its|how)|how (?:well|good|much)|score (?:the|this|it))/i;

const WHY = 'evals must be binary (pass or fail): a scale compounds the judge\'s variability and cannot be kept or discarded honestly';

export function checkBinaryEvals(raw: unknown): FieldError[] {
  if (typeof raw !== 'object' || raw === null || (raw as { flavor?: unknown }).flavor !== 'skill') return [];
  const evals = (raw as { skill?: { evals?: unknown } }).skill?.evals;
  if (!Array.isArray(evals)) return [];
  const errors: FieldError[] = [];
  if (evals.length > MAX_EVALS) {
    errors.push({ path: 'skill.evals', message: `has ${evals.length} evals; at most ${MAX_EVALS}: with more, a skill starts gaming them instead of getting better` });
  } else if (evals.length < MIN_EVALS) {
    errors.push({ path: 'skill.evals', message: `has ${evals.length} eval${evals.length === 1 ? '' : 's'}; at least ${MIN_EVALS} are needed to tell a better skill from a lucky one` });
  }
  evals.forEach((item: unknown, i) => {
    if (typeof item !== 'object' || item === null) return;
    const record = item as Record<string, unknown>;
    const path = `skill.evals[${i}]`;
    const scaleField = SCALE_FIELDS.find((field) => field in record);
    if (typeof record.kind === 'string' && SCALE_KINDS.test(record.kind)) {
      errors.push({ path: `${path}.kind`, message: `"${record.kind}" is not binary; ${WHY}` });
    } else if (scaleField !== undefined) {
      errors.push({ path: `${path}.${scaleField}`, message: `makes the eval a scale; ${WHY}` });
    } else if (record.kind === 'judge' && (('min' in record) || ('max' in record))) {
      errors.push({ path: `${path}.${'min' in record ? 'min' : 'max'}`, message: `makes the judge eval a scale; ${WHY}` });
    } else if (record.kind === 'judge' && typeof record.question === 'string' && SCALE_WORDS.test(record.question)) {
      errors.push({ path: `${path}.question`, message: `asks for a score ("${SCALE_WORDS.exec(record.question)![0]}"), not yes or no; ${WHY}` });
    } else if (record.kind === 'judge' && record.question === undefined) {
      errors.push({ path: `${path}.question`, message: 'is required: a judge eval asks a yes/no question about the output' });
    }
  });
  return errors;
}

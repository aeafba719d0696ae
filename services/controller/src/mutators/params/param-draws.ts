// Random search's draws: one declared param's value, drawn uniformly over its whole range, and what a
// declaration needs for that. Shared by the spec-time check and the mutator, like param-moves.ts.
import { createHash } from 'node:crypto';
import type { Param } from '../../../../../schemas/src/study-spec.js';
import type { ParamProblem, ParamValue } from './param-moves.js';
import type { ConstantValue } from './top-level-constants.js';

/**
 * A number in [0, 1) fixed by its parts (seed, head, how much was tried, …). Hashing the parts instead of
 * keeping a generator's state makes each draw reproducible on its own, even after a controller restart.
 */
export function seededUniform(...parts: Array<string | number>): number {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

/** Why a param that fits its file still cannot be drawn at random. Empty when it can. */
export function drawProblems(param: Param, value: ConstantValue): ParamProblem[] {
  if (param.choices !== undefined || value.kind !== 'number') return []; // choices and booleans need no range
  const missing = [param.min === undefined && 'min', param.max === undefined && 'max'].filter((m) => m !== false);
  if (missing.length > 0) {
    return [{
      field: missing.length === 1 ? `.${missing[0]}` : '',
      message: `strategy random needs min and max, or choices, to draw ${param.name} from (it has no ${missing.join(' and no ')})`,
    }];
  }
  if (param.scale === 'log' && param.min! <= 0) {
    return [{ field: '.min', message: `a log scale draws between min and max, so min must be positive (it is ${param.min}); use scale "linear"` }];
  }
  return [];
}

/**
 * The value `u` (uniform in [0, 1)) picks for `param`: one of its choices, a boolean, or a number between
 * min and max, uniform in log space on a log scale and linear otherwise. A linear step draws from the grid
 * min, min + step, … ≤ max; a log scale ignores step, since a grid of factors from min would leave most of
 * the range out. Integers round, each getting its share of the range. Call only when drawProblems and
 * paramProblems found nothing.
 */
export function drawValue(param: Param, value: ConstantValue, u: number): ParamValue {
  if (param.choices !== undefined) return param.choices[Math.min(param.choices.length - 1, Math.floor(u * param.choices.length))]!;
  if (value.kind === 'boolean') return u < 0.5;
  const min = param.integer ? Math.ceil(param.min!) : param.min!;
  const max = param.integer ? Math.floor(param.max!) : param.max!;
  const clamp = (x: number) => Math.min(max, Math.max(min, x));
  if (param.scale === 'log') {
    // An integer owns the half-unit on each side of it, so 1 and 64 are drawn as often as their width says.
    const [low, high] = param.integer ? [min - 0.5, max + 0.5] : [min, max];
    const drawn = Math.exp(Math.log(low) + u * (Math.log(high) - Math.log(low)));
    return clamp(param.integer ? Math.round(drawn) : drawn);
  }
  if (param.step !== undefined) {
    const points = Math.floor((max - min) / param.step + 1e-9) + 1;
    const drawn = min + Math.min(points - 1, Math.floor(u * points)) * param.step;
    return clamp(param.integer ? Math.round(drawn) : drawn);
  }
  if (param.integer) return min + Math.min(max - min, Math.floor(u * (max - min + 1)));
  return min + u * (max - min);
}

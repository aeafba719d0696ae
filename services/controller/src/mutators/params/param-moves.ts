// The moves one declared param allows from its current value, and the ways a declaration can be wrong
// for the value it found. Shared by the spec-time check and the mutator, so both agree on what is valid.
import type { Param, ParamsMutatorSpec } from '../../../../../schemas/src/study-spec.js';
import { drawProblems } from './param-draws.js';
import { formatLiteral, formatNumber, type ConstantValue, type TopLevelConstant } from './top-level-constants.js';

export type ParamsStrategy = NonNullable<ParamsMutatorSpec['strategy']>;

export type ParamValue = number | boolean | string;

/** One problem, with the sub-field it concerns ('' for the param itself), e.g. { field: '.step', … }. */
export interface ParamProblem {
  field: string;
  message: string;
}

const DEFAULT_LOG_STEP = 2;

/** With strategy random, a step is optional and a number needs a range to be drawn from (param-draws.ts). */
export function paramProblems(param: Param, value: ConstantValue, file: string, strategy: ParamsStrategy = 'local'): ParamProblem[] {
  const problems: ParamProblem[] = [];
  const where = `${param.name} is ${describeValue(value)} in ${file}`;
  if (param.min !== undefined && param.max !== undefined && param.min > param.max) {
    problems.push({ field: '.max', message: `max ${param.max} is below min ${param.min}` });
  }
  if (param.choices !== undefined) {
    if (!param.choices.some((choice) => choice === value.value)) {
      problems.push({ field: '.choices', message: `${where}, which is not one of the choices ${JSON.stringify(param.choices)}` });
    }
    return problems;
  }
  if (value.kind === 'string') {
    problems.push({ field: '', message: `${where}; a string param needs choices to move between` });
    return problems;
  }
  if (value.kind === 'boolean') return problems; // a boolean toggles; bounds and steps do not apply

  if (strategy === 'random') problems.push(...drawProblems(param, value));
  if (strategy === 'local' && param.scale === 'linear' && param.step === undefined) {
    problems.push({ field: '.step', message: 'a linear-scale param needs a step (the increment)' });
  }
  if (strategy === 'local' && param.scale === 'log' && param.step === 1) {
    problems.push({ field: '.step', message: 'a log-scale step of 1 would change nothing; use a factor such as 2' });
  }
  if (param.scale === 'log' && value.value <= 0) {
    problems.push({ field: '.scale', message: `${where}; a log scale needs a positive value, so use scale "linear"` });
  }
  if (param.integer && !Number.isInteger(value.value)) {
    problems.push({ field: '.integer', message: `${where}, which is not an integer` });
  }
  if (param.min !== undefined && value.value < param.min) {
    problems.push({ field: '.min', message: `${where}, below min ${param.min}` });
  }
  if (param.max !== undefined && value.value > param.max) {
    problems.push({ field: '.max', message: `${where}, above max ${param.max}` });
  }
  return problems;
}

/**
 * The distinct values one step away from `value`, lower first. A move that changes nothing (already at
 * a bound, or lost to rounding) is not a move. Call only when paramProblems found nothing.
 */
export function movesFrom(param: Param, value: ConstantValue): ParamValue[] {
  if (param.choices !== undefined) {
    const index = param.choices.findIndex((choice) => choice === value.value);
    return [param.choices[index - 1], param.choices[index + 1]].filter((choice) => choice !== undefined);
  }
  if (value.kind === 'boolean') return [!value.value];
  if (value.kind === 'string') return [];

  const step = param.step ?? DEFAULT_LOG_STEP;
  const raw = param.scale === 'log' ? [value.value / step, value.value * step] : [value.value - step, value.value + step];
  const current = formatNumber(value.value);
  const moves: number[] = [];
  for (const candidate of raw) {
    // Keep the number exactly as it will be written, so the file, the key and the log agree.
    const written = formatNumber(withinBounds(param, candidate));
    const moved = Number(written);
    if (written !== current && !moves.includes(moved)) moves.push(moved);
  }
  return moves.sort((a, b) => a - b);
}

export function describeValue(value: ConstantValue | { value: ParamValue }): string {
  if (typeof value.value === 'string') return JSON.stringify(value.value);
  return String(value.value);
}

/** A value as keys and hypotheses show it: clean numbers, the script's own booleans, quoted strings. */
export function shownValue(value: ParamValue, constant: TopLevelConstant): string {
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return formatLiteral(value, constant.language);
  return describeValue({ value });
}

function withinBounds(param: Param, candidate: number): number {
  // For integers the bounds themselves round inwards, so rounding never steps outside them.
  const min = param.min === undefined ? -Infinity : param.integer ? Math.ceil(param.min) : param.min;
  const max = param.max === undefined ? Infinity : param.integer ? Math.floor(param.max) : param.max;
  const rounded = param.integer ? Math.round(candidate) : candidate;
  return Math.min(max, Math.max(min, rounded));
}

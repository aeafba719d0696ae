// The offline mutator: each proposal moves exactly ONE declared param of the head one step, never a move
// already tried from that head (one whose tries were inconclusive may come back, the most promising first,
// once every other move has been tried), chosen deterministically under the spec's seed (no network, replayable).
// With strategy random it is random search instead: every param drawn afresh (random-configuration.ts).
import type { Direction, Param, ParamsMutatorSpec } from '../../../../../schemas/src/study-spec.js';
import { AutoresearchError } from '../../errors.js';
import type { MutationContext, Mutator, Proposal } from '../mutator.js';
import { seededUniform } from './param-draws.js';
import { movesFrom, paramProblems, shownValue as shown, type ParamsStrategy, type ParamValue } from './param-moves.js';
import { proposeRandomConfiguration, type DeclaredConstant } from './random-configuration.js';
import {
  ConstantError,
  findTopLevelConstant,
  formatLiteral,
  rewriteConstantLine,
  type TopLevelConstant,
} from './top-level-constants.js';
import { uniqueLineSearch } from './unique-line-search.js';

export interface ParamsObjective {
  metric: string;
  direction: Direction;
}

/** A declared param that does not fit the head's files (the spec-time check should have caught it). */
export class ParamError extends AutoresearchError {
  declare readonly code: 'INVALID_PARAM';
  constructor(message: string) {
    super('INVALID_PARAM', message);
  }
}

interface Move {
  param: Param;
  label: string;
  constant: TopLevelConstant;
  source: string;
  from: string;
  to: ParamValue;
  changeKey: string;
}

export function createParamsMutator(spec: ParamsMutatorSpec, objective: ParamsObjective): Mutator {
  const labels = paramLabels(spec.params);
  const strategy: ParamsStrategy = spec.strategy ?? 'local';
  return {
    kind: 'params',
    async propose(ctx: MutationContext): Promise<Proposal | null> {
      const declared = spec.params.map((param, index) => declaredConstant(param, index, labels[index]!, ctx.head.files, strategy));
      if (strategy === 'random') return proposeRandomConfiguration({ seed: spec.seed, declared, ctx, objective });
      const open = declared.flatMap(movesOf).filter((move) => !ctx.triedFromHead.has(move.changeKey));
      const untried = open.filter((move) => !ctx.retryFromHead?.has(move.changeKey));
      if (untried.length === 0) {
        // Every move was tried: the most promising of those whose tries were inconclusive comes back.
        const promise = (move: Move) => ctx.retryFromHead?.get(move.changeKey) ?? 1;
        const retry = open.reduce<Move | null>((best, move) => (best === null || promise(move) < promise(best) ? move : best), null);
        return retry && proposalFor(retry, objective);
      }
      // Branches from one head draw apart, or they would all try the same change first; branch 0 draws as
      // a single-branch study always has, so its studies replay unchanged.
      const branch = ctx.branchIndex > 0 ? [ctx.branchIndex] : [];
      const draw = seededUniform(spec.seed, ctx.head.revisionId, ctx.triedFromHead.size, ...branch);
      return proposalFor(untried[Math.floor(draw * untried.length)]!, objective);
    },
  };
}

/**
 * Every problem with the declared params against the study's files, e.g.
 * `mutator.params[2] (HIDDEN): constant HIDDEN not found in train.py`, so a bad spec is rejected before
 * anything runs. Empty when the spec is good.
 */
export function checkParamsAgainstFiles(spec: ParamsMutatorSpec, files: Record<string, string>): string[] {
  const errors: string[] = [];
  spec.params.forEach((param, index) => {
    const at = (field: string) => `mutator.params[${index}]${field} (${param.name})`;
    const earlier = spec.params.findIndex((other) => other.name === param.name && other.file === param.file);
    if (earlier !== index) {
      errors.push(`${at('')}: ${param.name} in ${param.file} is already declared as mutator.params[${earlier}]`);
      return;
    }
    const found = locate(param, files);
    if (typeof found === 'string') errors.push(`${at('')}: ${found}`);
    else for (const problem of paramProblems(param, found.value, param.file, spec.strategy)) errors.push(`${at(problem.field)}: ${problem.message}`);
  });
  return errors;
}

/** A declared param's constant in the head's files, or a ParamError naming what is wrong with it. */
function declaredConstant(param: Param, index: number, label: string, files: Record<string, string>, strategy: ParamsStrategy): DeclaredConstant {
  const constant = locate(param, files);
  if (typeof constant === 'string') throw new ParamError(`mutator.params[${index}] (${param.name}): ${constant}`);
  const problems = paramProblems(param, constant.value, param.file, strategy);
  if (problems.length > 0) {
    throw new ParamError(`mutator.params[${index}] (${param.name}): ${problems.map((p) => p.message).join('; ')}`);
  }
  return { param, label, constant, source: files[param.file]! };
}

function movesOf({ param, label, constant, source }: DeclaredConstant): Move[] {
  const from = shown(constant.value.value, constant);
  return movesFrom(param, constant.value).map((to) => ({
    param,
    label,
    constant,
    source,
    from,
    to,
    changeKey: `${label}: ${from} -> ${shown(to, constant)}`,
  }));
}

function proposalFor(move: Move, objective: ParamsObjective): Proposal {
  const { constant, label, from, to } = move;
  const before = constant.value.value;
  const verb = typeof before === 'number' && typeof to === 'number' ? (to > before ? 'Raising' : 'Lowering') : 'Changing';
  const hoped = objective.direction === 'minimize' ? 'lower' : 'raise';
  const newLine = rewriteConstantLine(constant, formatLiteral(to, constant.language, constant.value));
  return {
    hypothesis: `${verb} ${label} from ${from} to ${shown(to, constant)} may ${hoped} ${objective.metric}`,
    variable: label,
    description: `${label} ${from} -> ${shown(to, constant)}`,
    changeKey: move.changeKey,
    edits: [{ path: move.param.file, ...uniqueLineSearch(move.source, constant.lineIndex, newLine) }],
  };
}

/** The constant, or why it cannot be used (a missing file, a constant missing or assigned twice). */
function locate(param: Param, files: Record<string, string>): TopLevelConstant | string {
  const source = Object.hasOwn(files, param.file) ? files[param.file] : undefined;
  if (source === undefined) return `file ${param.file} not found`;
  try {
    return findTopLevelConstant(source, param.name, param.file);
  } catch (error) {
    if (error instanceof ConstantError) return error.message;
    throw error;
  }
}

/** Param names, qualified by file only where two files declare the same name, so keys stay distinct. */
function paramLabels(params: Param[]): string[] {
  return params.map((param) =>
    params.some((other) => other.name === param.name && other.file !== param.file) ? `${param.file}:${param.name}` : param.name,
  );
}

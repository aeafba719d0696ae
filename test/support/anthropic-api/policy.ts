// What the stand-in model answers. A policy sees the validated request and how many times the policy was
// called before; `changeOneConstantPolicy` is the default: it reads the files the prompt shows and
// proposes one plausible change, doubling or halving a top-level numeric constant.
import { findNumericConstants, scaledLiteral, type NumericConstant } from './numeric-constants.js';
import { rejectedToolUses, requestText, shownFiles } from './prompt-reading.js';
import type { MessagesRequest } from './validate.js';

export interface PolicyContext {
  /** How many requests the policy answered before this one (faults and refused requests do not count). */
  callIndex: number;
}

export interface ToolUseAnswer {
  /** `name` defaults to the tool tool_choice names, else the request's first tool. */
  toolUse: { name?: string; input: unknown };
  /** Text before the tool call; dropped when tool_choice forces a tool (the API prefills then). */
  text?: string;
}

export interface TextAnswer {
  text: string;
}

export type PolicyAnswer = ToolUseAnswer | TextAnswer;

export type Policy = (request: MessagesRequest, context: PolicyContext) => PolicyAnswer | Promise<PolicyAnswer>;

export interface Edit {
  path: string;
  search: string;
  replace: string;
}

/** The input of the mutator's propose_change tool. */
export interface ProposalInput {
  hypothesis: string;
  variable: string;
  description: string;
  edits: Edit[];
}

export interface ProposalExtra {
  hypothesis?: string;
  variable?: string;
  description?: string;
  /** Text before the tool call. */
  text?: string;
  /** The tool to call; defaults as for ToolUseAnswer. */
  toolName?: string;
  /** Merged over the tool input last: extra edits, or a malformed field to exercise the client's checks. */
  input?: Record<string, unknown>;
}

/** A tool call proposing one search/replace edit, with plausible hypothesis, variable and description. */
export function proposeEdit(path: string, search: string, replace: string, extra: ProposalExtra = {}): ToolUseAnswer {
  const from = search.trim().replace(/\s+/g, ' ');
  const to = replace.trim().replace(/\s+/g, ' ');
  const input: ProposalInput = {
    hypothesis: extra.hypothesis ?? `Changing \`${from}\` to \`${to}\` in ${path} may improve the objective within the fixed budget.`,
    variable: extra.variable ?? /[A-Za-z_$][\w$]*/.exec(from.replace(/^(export\s+)?(const|let|var)\s+/, ''))?.[0] ?? 'code',
    description: extra.description ?? `${from} -> ${to}`.slice(0, 120),
    edits: [{ path, search, replace }],
  };
  return {
    toolUse: { ...(extra.toolName ? { name: extra.toolName } : {}), input: { ...input, ...extra.input } },
    ...(extra.text ? { text: extra.text } : {}),
  };
}

interface Candidate {
  path: string;
  constant: NumericConstant;
  factor: 2 | 0.5;
  literal: string;
}

/**
 * Doubles or halves one top-level numeric constant of a file the prompt shows (`### <path>` then a fenced
 * block). Proposals rotate with callIndex: every constant doubled, then every constant halved. A proposal
 * whose description already appears in the prompt (tried before) is skipped, and so is every constant
 * of a tool call the client sent back with `is_error: true`, so a re-ask gets a different constant.
 */
export const changeOneConstantPolicy: Policy = (request, { callIndex }) => {
  const text = requestText(request);
  const constants = shownFiles(text).flatMap((file) => findNumericConstants(file.content).map((constant) => ({ path: file.path, constant })));
  const candidates: Candidate[] = [];
  for (const factor of [2, 0.5] as const) {
    for (const { path, constant } of constants) {
      const literal = scaledLiteral(constant.literal, factor);
      if (literal !== undefined) candidates.push({ path, constant, factor, literal });
    }
  }
  if (candidates.length === 0) return { text: 'I could not find a top-level numeric constant to change in the files shown.' };

  const rejected = rejectedToolUses(request).map((use) => use.input as Partial<ProposalInput> | undefined);
  const isRejected = (c: Candidate) =>
    rejected.some((input) => input?.variable === c.constant.name || (Array.isArray(input?.edits) && input.edits.some((e) => e?.path === c.path && e.search === c.constant.line)));
  const rotation = candidates.map((_, i) => candidates[(callIndex + i) % candidates.length]!);
  const pick =
    rotation.find((c) => !isRejected(c) && !text.includes(describe(c))) ?? rotation.find((c) => !isRejected(c)) ?? rotation[0]!;

  const { path, constant, factor, literal } = pick;
  const verb = factor === 2 ? 'Doubling' : 'Halving';
  const replace = constant.withLiteral(literal);
  if (!request.tools?.length) return { text: `${verb} ${constant.name}: replace \`${constant.line}\` with \`${replace}\` in ${path}.` };
  return proposeEdit(path, constant.line, replace, {
    hypothesis: `${verb} ${constant.name} (${constant.literal} -> ${literal}) may improve the objective within the fixed budget.`,
    variable: constant.name,
    description: describe(pick),
    text: `${verb} ${constant.name} in ${path} is a small, attributable change worth testing.`,
  });
};

function describe(c: Candidate): string {
  return `${c.constant.name} ${c.constant.literal} -> ${c.literal}`;
}

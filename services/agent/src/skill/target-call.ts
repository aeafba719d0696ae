// The run's one output: the skill file as the system prompt, the input as the user message, no tools.
import { readFile } from 'node:fs/promises';
import type { SkillModelSpec } from '../../../../schemas/src/skill-spec.js';
import { resolveInside } from '../safe-path.js';
import type { ModelCaller } from './model-caller.js';

export interface TargetOutput {
  /** The text blocks of the answer, concatenated. */
  text: string;
  stopReason: string | null;
}

/** The skill's text, from the revision's files in the work directory (through no link that leaves it). */
export async function readSkillFile(workdir: string, file: string): Promise<string> {
  try {
    return await readFile(await resolveInside(workdir, file), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`the skill file ${JSON.stringify(file)} is not among the revision's files`);
    throw error;
  }
}

export async function callTarget(model: ModelCaller, target: SkillModelSpec, system: string, inputText: string): Promise<TargetOutput> {
  const message = await model.create({
    model: target.model,
    max_tokens: target.maxTokens,
    ...(target.temperature !== undefined && { temperature: target.temperature }),
    system,
    messages: [{ role: 'user', content: inputText }],
  });
  const text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
  return { text, stopReason: message.stop_reason };
}

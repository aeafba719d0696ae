// A small skill study folder for tests: a SKILL.md, inline and file inputs, a predicate module, and a
// spec with one eval of each common kind. Tests edit the YAML to make it wrong in one way at a time.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SKILL_MD = `# Summarizer

Summarize the text the user gives you.

## Rules
- Be accurate.
`;

export const SKILL_STUDY_YAML = `name: summarizer
flavor: skill
repeats: 4
skill:
  file: SKILL.md
  inputs:
    working:
      - { name: alpha, text: "Alpha text to summarize." }
      - { name: beta, file: inputs/beta.txt }
    holdout:
      - { name: gamma, text: "Gamma text to summarize." }
  evals:
    - { name: short, kind: length, unit: words, max: 50 }
    - { name: no-lists, kind: regex, pattern: "^\\\\s*\\\\d+[.)]", flags: m, mustMatch: false }
    - { name: checked, kind: predicate, module: evals/check.mjs }
    - name: faithful
      kind: judge
      question: Does the summary state only facts found in the input?
      pass: Every claim in the output appears in the input.
      fail: The output adds a claim the input does not make.
mutator:
  kind: llm
stop:
  maxExperiments: 6
`;

export const PREDICATE_MODULE = `export default function check(output) {
  return { pass: !output.includes('TODO'), evidence: output.slice(0, 40) };
}
`;

/** A fresh folder holding the skill study; `yaml` replaces the spec. */
export async function makeSkillFolder(yaml: string = SKILL_STUDY_YAML): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'autoresearch-skill-'));
  await mkdir(join(dir, 'inputs'));
  await mkdir(join(dir, 'evals'));
  await writeFile(join(dir, 'SKILL.md'), SKILL_MD);
  await writeFile(join(dir, 'inputs', 'beta.txt'), 'Beta text to summarize, from a file.\n');
  await writeFile(join(dir, 'evals', 'check.mjs'), PREDICATE_MODULE);
  await writeFile(join(dir, 'study.yaml'), yaml);
  return dir;
}

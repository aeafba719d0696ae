// Loads a study folder (study.yaml plus the workspace files) and validates it completely before anything
// is written anywhere: a bad spec must change nothing.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { StudySpec } from '../../../../schemas/src/study-spec.js';
import { validateWithDefaults } from '../../../../schemas/src/validate.js';
import { InvalidInputError } from '../errors.js';
import { confineWorkspacePath } from '../revisions/workspace-path.js';
import { readWorkspace, type WorkspaceFile } from '../revisions/workspace-snapshot.js';
import { checkBinaryEvals } from './binary-evals.js';
import { checkStudySpec } from './check-study-spec.js';
import { applyFlavorDefaults } from './flavor-defaults.js';

export interface LoadedStudy {
  dir: string;
  spec: StudySpec;
  specHash: string;
  files: WorkspaceFile[];
}

/** Reads `<dir>/<specFile>` (study.yaml by default; another spec of the same folder, like study-llm.yaml). */
export async function loadStudyFolder(dirArgument: string, specFile = 'study.yaml'): Promise<LoadedStudy> {
  const dir = resolve(dirArgument);
  const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
  if (!isDir) throw new InvalidInputError([{ path: 'dir', message: `${dirArgument} is not a folder` }], 'invalid study folder');
  const confined = confineWorkspacePath(specFile);
  if (!confined.ok) throw new InvalidInputError([{ path: '--spec', message: confined.problem }], 'invalid study folder');
  const specPath = join(dir, confined.path);
  const text = await readFile(specPath, 'utf8').catch(() => {
    throw new InvalidInputError([{ path: confined.path, message: `not found in ${dirArgument}` }], 'invalid study folder');
  });
  const raw = parseStudyYaml(text);
  const spec = validateStudySpec(raw);
  const files = await readWorkspace(dir, spec.workspace.exclude);
  assertSpecMatchesWorkspace(spec, files);
  return { dir, spec, specHash: hashSpec(spec), files };
}

export function parseStudyYaml(text: string): unknown {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new InvalidInputError(
      document.errors.map((e) => ({ path: 'study.yaml', message: e.message.split('\n')[0] ?? e.message })),
      'study.yaml is not valid YAML',
    );
  }
  return document.toJS();
}

export function validateStudySpec(raw: unknown): StudySpec {
  const withDefaults = applyFlavorDefaults(raw ?? {});
  const binary = checkBinaryEvals(withDefaults);
  const result = validateWithDefaults<StudySpec>(StudySpec, withDefaults);
  if (binary.length > 0) {
    // The schema's own complaint about the same eval ("not a known field") says less: ours replaces it.
    const subjects = binary.map((e) => /^skill\.evals(\[\d+\])?/.exec(e.path)![0]);
    const covered = (path: string) => subjects.some((subject) => path === subject || path.startsWith(`${subject}.`));
    const rest = result.ok ? [] : result.errors.filter((e) => !covered(e.path));
    throw new InvalidInputError([...binary, ...rest], 'invalid study spec');
  }
  if (!result.ok) throw new InvalidInputError(result.errors, 'invalid study spec');
  return result.value;
}

export function assertSpecMatchesWorkspace(spec: StudySpec, files: WorkspaceFile[]): void {
  const errors = checkStudySpec(spec, new Map(files.map((f) => [f.path, f.content])));
  if (errors.length > 0) throw new InvalidInputError(errors, 'invalid study spec');
}

export function hashSpec(spec: StudySpec): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex');
}

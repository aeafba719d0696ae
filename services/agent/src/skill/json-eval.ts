// The json eval: the output parses as JSON and, when the eval gives a JSON Schema (inline, or a file of
// the workspace confined to the work directory), is valid against it. Ajv's own error text is the
// evidence, as precise as a person needs to fix the skill. Ajv is set up as the controller's spec check
// sets it up, so a schema the study was admitted with compiles here too.
import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import type { EvalVerdict } from '../../../../schemas/src/messages.js';
import { resolveInside } from '../safe-path.js';
import { failVerdict, passVerdict, type EvalOfKind } from './verdict.js';

export async function evaluateJson(spec: EvalOfKind<'json'>, output: string, workdir: string): Promise<EvalVerdict> {
  let value: unknown;
  try {
    value = JSON.parse(output);
  } catch (error) {
    return failVerdict(spec.name, (error as Error).message, 'the output is not valid JSON');
  }
  let schema: unknown = spec.schema;
  if (spec.schemaFile !== undefined) {
    try {
      schema = JSON.parse(await readFile(await resolveInside(workdir, spec.schemaFile), 'utf8'));
    } catch (error) {
      const problem = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'is not in the workspace' : (error as Error).message;
      return failVerdict(spec.name, 'no schema', `schemaFile ${JSON.stringify(spec.schemaFile)}: ${problem}`);
    }
  }
  if (schema === undefined) return passVerdict(spec.name, 'valid JSON');
  if (typeof schema !== 'object' && typeof schema !== 'boolean') {
    return failVerdict(spec.name, 'no schema', 'the JSON Schema must be an object');
  }

  const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
  let validate;
  try {
    validate = ajv.compile(schema as object);
  } catch (error) {
    return failVerdict(spec.name, 'no schema', `the JSON Schema does not compile: ${(error as Error).message}`);
  }
  if (validate(value)) return passVerdict(spec.name, 'valid JSON, valid against the schema');
  return failVerdict(spec.name, ajv.errorsText(validate.errors, { dataVar: 'output' }), 'the output does not match the JSON Schema');
}

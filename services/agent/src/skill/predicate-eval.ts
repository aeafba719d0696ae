// The predicate eval: a JavaScript module of the workspace judges the output. It is untrusted code, so it
// runs in its own `node` process (and process group), in the work directory, with the experiment's
// environment, never the agent's; it gets a fixed time to answer, and whatever else happens (a throw, an
// exit, an answer of the wrong shape, the run being stopped) is a fail with the reason.
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import type { EvalVerdict } from '../../../../schemas/src/messages.js';
import { UnsafePathError } from '../errors.js';
import { signalProcessGroup } from '../process-group.js';
import { resolveInside } from '../safe-path.js';
import { failVerdict, passVerdict, type EvalOfKind } from './verdict.js';

export const PREDICATE_TIMEOUT_MS = 10_000;

export interface PredicateContext {
  workdir: string;
  /** From buildExperimentEnv: what the experiment may see, and nothing of the agent's. */
  env: Record<string, string>;
  input: { name: string; text: string };
  timeoutMs?: number;
  /** Aborting kills the predicate (the run was stopped or ran out of time). */
  signal?: AbortSignal;
}

/** What the child tells the parent: the predicate's value reduced to JSON-safe fields, or what it threw. */
type ChildAnswer = { returned: { pass?: unknown; evidence?: unknown; type: string } } | { threw: string };

// Runs in the child (`node --input-type=module -e`). Imports the module, calls its default export and
// sends back what it returned, typed, so that an odd value cannot break the channel.
const CHILD_SCRIPT = `
const kind = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const safe = (v) => (typeof v === 'string' || typeof v === 'boolean' ? v : undefined);
const say = (error) => { try { return error instanceof Error ? error.name + ': ' + error.message : String(error); } catch { return 'an unprintable value'; } };
process.once('message', async ({ moduleUrl, output, input }) => {
  let answer;
  try {
    const loaded = await import(moduleUrl);
    const predicate = typeof loaded.default === 'function' ? loaded.default : loaded.default?.default;
    if (typeof predicate !== 'function') throw new TypeError('the module has no default export that is a function');
    const value = await predicate(output, input);
    answer = { returned: kind(value) === 'object' ? { type: 'object', pass: safe(value.pass), evidence: safe(value.evidence) } : { type: kind(value), pass: safe(value) } };
  } catch (error) {
    answer = { threw: say(error) };
  }
  process.send(answer, () => process.disconnect());
});
`;

const NODE_FLAGS = ['--experimental-detect-module', '--disable-warning=ExperimentalWarning'].filter((flag) =>
  process.allowedNodeEnvironmentFlags.has(flag.split('=')[0]!),
);
const STDERR_KEEP = 1000;

export async function evaluatePredicate(spec: EvalOfKind<'predicate'>, output: string, context: PredicateContext): Promise<EvalVerdict> {
  const fail = (reason: string) => failVerdict(spec.name, 'no verdict', reason);
  if (!/\.m?js$/.test(spec.module)) return fail(`module ${JSON.stringify(spec.module)} is not a .js or .mjs file`);
  let modulePath: string;
  try {
    modulePath = await resolveInside(context.workdir, spec.module);
  } catch (error) {
    if (error instanceof UnsafePathError) return fail(`module ${error.message}: a predicate must be a file of the workspace`);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fail(`module ${JSON.stringify(spec.module)} is not in the workspace`);
    return fail(`module ${JSON.stringify(spec.module)}: ${(error as Error).message}`);
  }

  const answer = await runChild(pathToFileURL(modulePath).href, output, context);
  if ('problem' in answer) return fail(answer.problem);
  if ('threw' in answer) return fail(`the predicate threw ${answer.threw}`);
  const { pass, evidence, type } = answer.returned;
  if (typeof pass !== 'boolean') {
    return fail(`the predicate returned ${type === 'object' ? 'an object without a boolean pass' : `a value of type ${type}`}; it must return true, false or { pass, evidence }`);
  }
  if (evidence !== undefined && typeof evidence !== 'string') return fail('the predicate returned an evidence that is not a string');
  const said = evidence ?? `the predicate returned ${pass}`;
  return pass ? passVerdict(spec.name, said) : failVerdict(spec.name, said, 'the predicate failed the output');
}

function runChild(moduleUrl: string, output: string, context: PredicateContext): Promise<ChildAnswer | { problem: string }> {
  const timeoutMs = context.timeoutMs ?? PREDICATE_TIMEOUT_MS;
  return new Promise((resolve) => {
    if (context.signal?.aborted) return resolve({ problem: 'not run: the run was stopped' });
    const child = spawn(process.execPath, [...NODE_FLAGS, '--input-type=module', '-e', CHILD_SCRIPT], {
      cwd: context.workdir,
      env: context.env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
      detached: true,
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-STDERR_KEEP)));

    let settled = false;
    const finish = (result: ChildAnswer | { problem: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      context.signal?.removeEventListener('abort', onAbort);
      // Anything the predicate left running goes with it.
      if (child.pid !== undefined) signalProcessGroup(child.pid, 'SIGKILL');
      resolve(result);
    };
    const onAbort = () => finish({ problem: 'stopped: the run was stopped before the predicate answered' });
    const timer = setTimeout(() => finish({ problem: `the predicate did not answer within ${timeoutMs / 1000} s` }), timeoutMs);
    context.signal?.addEventListener('abort', onAbort, { once: true });

    child.once('message', (message) => finish(message as ChildAnswer));
    child.once('error', (error) => finish({ problem: `could not start node for the predicate: ${error.message}` }));
    child.once('exit', (code, signal) => {
      // A last message may still be in flight when the process ends; give it its turn first.
      setImmediate(() => {
        const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
        finish({ problem: `the predicate's process ${how} before answering${stderr.trim() ? `: ${lastLines(stderr)}` : ''}` });
      });
    });
    child.send({ moduleUrl, output, input: { name: context.input.name, text: context.input.text } }, (error) => {
      if (error) finish({ problem: `could not hand the output to the predicate: ${error.message}` });
    });
  });
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-5).join(' | ');
}

// `autoresearch`: run a study on this machine, serve a controller, and talk to one.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError, readControllerEnv } from '../../controller/src/config.js';
import { AutoresearchError, InvalidInputError } from '../../controller/src/errors.js';
import { ApiError } from './api-client.js';
import { runAgent } from '../../agent/src/main.js';
import { runCommand } from './commands/run.js';
import { serveCommand } from './commands/serve.js';
import { exportCommand, statusCommand, stopCommand } from './commands/remote.js';
import { parseQuota, tokenCreateCommand } from './commands/token.js';
import { EXIT } from './exit-codes.js';
import { chooseOutputMode, type OutputMode } from './live/output-mode.js';

function positiveInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer (got "${value}")`);
    return n;
  };
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`--port must be 0 to 65535 (got "${value}")`);
  return n;
}

function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number (got "${value}")`);
    return n;
  };
}

function rfc3339(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError(`--deadline must be an RFC 3339 time such as 2026-11-26T07:00:00Z (got "${value}")`);
  }
  return value;
}

/** --plain and --panel, on the commands that show a study live. */
const plainOption = () => new Option('--plain', 'one line per event, even on a terminal').conflicts('panel');
const panelOption = () => new Option('--panel', 'the live panel, even when stdout is not a terminal (to record or test it)');

/** The live panel on a terminal, lines elsewhere; colour on a terminal unless NO_COLOR is set. */
function outputModeOf(options: { plain?: boolean; panel?: boolean }): OutputMode {
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  return chooseOutputMode({ isTTY: process.stdout.isTTY === true, noColor, plain: options.plain, panel: options.panel });
}

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('autoresearch')
    .description('Autonomous experiment loops: propose one change, run it under a fixed budget, keep it only if it is really better.')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('run')
    .description('run a study folder on this machine (embedded controller, database in <dir>/.autoresearch); again resumes it')
    .argument('<dir>', 'the study folder: study.yaml plus the workspace files')
    .option('--slots <n>', 'CPU slots: run this many experiments at once (default: one per GPU, else 1)', positiveInteger('--slots'))
    .option('--max-experiments <n>', 'stop after this many experiments, the baseline included', positiveInteger('--max-experiments'))
    .option('--max-minutes <n>', 'stop after this many minutes since the study began', positiveNumber('--max-minutes'))
    .option('--deadline <time>', 'stop at this RFC 3339 time', rfc3339)
    .option('--plateau <n>', 'stop after this many experiments in a row without a keep', positiveInteger('--plateau'))
    .option('--port <n>', 'port of the local API on 127.0.0.1 (a free one if taken)', portNumber, 8420)
    .option('--out <dir>', 'where results.tsv, changelog.md and best/ go (default <dir>/.autoresearch)')
    .option('--fresh', 'start a new study even if this folder has one (the old one stays in the database)')
    .option('--spec <file>', 'the study spec in the folder', 'study.yaml')
    .addOption(plainOption())
    .addOption(panelOption())
    .action(async (dir: string, options) => setExit(await runCommand(dir, options, readControllerEnv(), outputModeOf(options))));

  program
    .command('serve')
    .description('run a controller that serves the API and runs every active study in its database')
    .option('--host <host>', 'address to listen on; every /v1 route needs a token from `autoresearch token create`', '127.0.0.1')
    .option('--port <n>', 'port to listen on', portNumber, 8420)
    .option('--slots <n>', 'CPU slots (default: one per GPU, else 1)', positiveInteger('--slots'))
    .option('--data-dir <dir>', 'embedded database folder when DATABASE_URL is not set', '.autoresearch/server')
    .addOption(
      new Option('--executor <kind>', 'where runs execute: processes on this machine, or one Kubernetes Job each (needs NATS_URL); default AUTORESEARCH_EXECUTOR, else local')
        .choices(['local', 'kubernetes']),
    )
    .action(async (options) => setExit(await serveCommand(options, readControllerEnv())));

  program
    .command('agent')
    .description('run one experiment run as a standalone agent (normally started by an executor); the run token comes from AUTORESEARCH_RUN_TOKEN')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]', '--run-id ID --controller-url URL [--transport ipc|nats] [--nats-url URL] [--work-root DIR]')
    .action(async (args: string[]) => setExit(await runAgent(args)));

  program
    .command('token')
    .description('manage API tokens of a distributed controller')
    .command('create')
    .description('create an API token for a team (the team too, if new); prints the token once, on stdout')
    .requiredOption('--team <name>', 'the team the token acts for')
    .option('--name <label>', 'who holds the token; the default owner of the studies it submits (default: the team name)')
    .option('--quota <n>', 'the most running runs the team may hold at once, or "unlimited"', parseQuota)
    .option('--data-dir <dir>', 'embedded database folder when DATABASE_URL is not set', '.autoresearch/server')
    .action(async (options) => setExit(await tokenCreateCommand(options, readControllerEnv())));

  const remote = (command: Command) =>
    command
      .argument('[dir]', 'a study folder whose `run` is in progress (or whose database to read)')
      .option('--server <url>', 'controller URL (env AUTORESEARCH_SERVER)')
      .option('--token <token>', 'API token (env AUTORESEARCH_TOKEN)')
      .option('--study <id>', 'study id, with --server');

  remote(program.command('status').description('show a study: progress, best score, recent decisions'))
    .option('--watch', 'keep showing it, live, until the study stops (Ctrl-C ends the watch, not the study)')
    .option('--interval <seconds>', 'seconds between two looks with --watch', positiveNumber('--interval'), 2)
    .addOption(plainOption())
    .addOption(panelOption())
    .action(async (dir: string | undefined, options) => setExit(await statusCommand(dir, options, process.env, outputModeOf(options))));
  remote(program.command('stop').description('stop a running study cleanly; running runs are stopped and recorded'))
    .action(async (dir: string | undefined, options) => setExit(await stopCommand(dir, options, process.env)));
  remote(program.command('export').description('write results.tsv, changelog.md and best/ of a study'))
    .option('--out <dir>', 'output folder (default <dir>/.autoresearch, or ./autoresearch-export)')
    .action(async (dir: string | undefined, options) => setExit(await exportCommand(dir, options, process.env)));

  return program;
}

/** Runs the CLI and returns the exit code; errors are reported here, once. */
export async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
      return EXIT.invalidInput;
    }
    if (error instanceof InvalidInputError || error instanceof ConfigError) {
      console.error(`autoresearch: ${error.message}`);
      return EXIT.invalidInput;
    }
    if (error instanceof ApiError) {
      console.error(`autoresearch: ${error.message}`);
      return error.status >= 400 && error.status < 500 ? EXIT.invalidInput : EXIT.failure;
    }
    if (error instanceof AutoresearchError) {
      console.error(`autoresearch: ${error.message}`);
      return EXIT.failure;
    }
    console.error('autoresearch: unexpected error:', error);
    return EXIT.failure;
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (invokedDirectly) {
  process.exitCode = await main(process.argv.slice(2));
}

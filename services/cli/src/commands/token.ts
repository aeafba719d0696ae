// `autoresearch token create`: an API token for a team, straight into the controller's database.
// The token is printed once, on stdout, so it can be piped into a secret store; only its hash is kept.
import { InvalidArgumentError } from 'commander';
import type { ControllerEnv } from '../../../controller/src/config.js';
import { InvalidInputError } from '../../../controller/src/errors.js';
import { openStore } from '../../../controller/src/store/open-store.js';
import { assertTeamName } from '../../../controller/src/store/queries/teams.js';
import { EXIT } from '../exit-codes.js';

export interface TokenCreateOptions {
  team: string;
  /** Who holds the token: the default owner of the studies it submits. Default: the team's name. */
  name?: string;
  /** The team's cap on running runs, or 'unlimited' to lift it. Left as it is when not given. */
  quota?: number | 'unlimited';
  dataDir: string;
}

/** `--quota N` (0 pauses the team) or `--quota unlimited` (not null: commander turns null into ''). */
export function parseQuota(value: string): number | 'unlimited' {
  if (value === 'unlimited') return 'unlimited';
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(`--quota must be a whole number of slots, or "unlimited" (got "${value}")`);
  }
  return n;
}

export async function tokenCreateCommand(options: TokenCreateOptions, env: ControllerEnv): Promise<number> {
  // Checked before the database is opened: bad input changes nothing.
  assertTeamName(options.team, '--team');
  const name = (options.name ?? options.team).trim();
  if (name.length === 0 || name.length > 200) {
    throw new InvalidInputError([{ path: '--name', message: 'must be 1 to 200 characters' }]);
  }
  const store = await openStore(env.databaseUrl ? { databaseUrl: env.databaseUrl, poolSize: 1 } : { pgliteDir: options.dataDir });
  try {
    const quotaSlots = options.quota === 'unlimited' ? null : options.quota;
    const team = await store.ensureTeam(options.team, quotaSlots === undefined ? {} : { quotaSlots });
    const created = await store.createApiToken({ teamName: team.name, name });
    process.stdout.write(`${created.token}\n`);
    const quota = team.quotaSlots === null ? 'no slot quota' : `a quota of ${team.quotaSlots} running run(s)`;
    console.error(
      `autoresearch: created API token "${name}" (id ${created.id}) for team "${team.name}", which has ${quota}. ` +
        'It is shown only this once: store it now.',
    );
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

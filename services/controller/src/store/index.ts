// The store's public surface: open it, use its methods, recognize its errors and rows.
export { openStore, type OpenStoreOptions } from './open-store.js';
export { Store } from './store.js';
export { StoreUnavailableError, redactDatabaseUrl } from './store-errors.js';
export type { StoreDriver } from './db.js';
export { API_TOKEN_PREFIX, hashApiToken, type CreatedApiToken, type NewApiToken, type TokenTeam } from './queries/api-tokens.js';
export type { EnsureTeamOptions } from './queries/teams.js';
export type { NewBranch, BranchHead } from './queries/branches.js';
export type { ClaimRequest } from './queries/claim-run.js';
export type { ExperimentDecision } from './queries/decide-experiment.js';
export type { ListEventsOptions } from './queries/events.js';
export type { NewExperiment, ListExperimentsOptions } from './queries/experiments.js';
export type { IngestOutcome } from './queries/ingest-result.js';
export { buildManifest, revisionId, sha256Hex, type RevisionFile } from './queries/revisions.js';
export type { RunEndingWithoutResult } from './queries/run-lifecycle.js';
export type { ListStudiesOptions, NewStudy, Page, StudyPatch } from './queries/studies.js';
export type { LogRow, MetricKind, MetricRow } from './queries/telemetry.js';
export type * from './schema.js';

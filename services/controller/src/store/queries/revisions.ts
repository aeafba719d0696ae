// Content-addressed workspace snapshots. A blob is keyed by the sha256 of its bytes and a revision by
// the sha256 of its manifest, so storing the same tree twice stores nothing new.
import { createHash } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { InvalidInputError, NotFoundError } from '../../errors.js';
import type { StoreDb } from '../db.js';
import { blobs, revisions, type ManifestEntry } from '../schema.js';

export interface RevisionFile {
  path: string;
  content: Buffer;
  mode: number;
}

/** Keeps one INSERT statement's parameters well under what a Postgres message carries. */
const MAX_BLOB_BATCH_BYTES = 32 * 1024 * 1024;

export async function putRevision(db: StoreDb, files: RevisionFile[]): Promise<string> {
  const manifest = buildManifest(files);
  const id = revisionId(manifest);
  await db.transaction(async (tx) => {
    const [existingRevision] = await tx.select({ id: revisions.id }).from(revisions).where(eq(revisions.id, id));
    if (existingRevision) return;
    // Most revisions differ from their parent by one file: send only the bytes the database lacks.
    const bySha = new Map(files.map((file) => [sha256Hex(file.content), file.content]));
    const present = await tx
      .select({ sha256: blobs.sha256 })
      .from(blobs)
      .where(inArray(blobs.sha256, [...bySha.keys()]));
    for (const { sha256 } of present) bySha.delete(sha256);
    for (const batch of batchesBySize([...bySha])) {
      await tx
        .insert(blobs)
        .values(batch.map(([sha256, content]) => ({ sha256, size: content.length, content })))
        .onConflictDoNothing();
    }
    await tx.insert(revisions).values({ id, manifest }).onConflictDoNothing();
  });
  return id;
}

export async function getRevisionManifest(db: StoreDb, id: string): Promise<ManifestEntry[]> {
  const [row] = await db.select({ manifest: revisions.manifest }).from(revisions).where(eq(revisions.id, id));
  if (!row) throw new NotFoundError(`revision ${id}`);
  return row.manifest;
}

/** The files of a revision, sorted by path, with their bytes exactly as stored. */
export async function getRevisionFiles(db: StoreDb, id: string): Promise<RevisionFile[]> {
  const manifest = await getRevisionManifest(db, id);
  if (manifest.length === 0) return [];
  const rows = await db
    .select({ sha256: blobs.sha256, content: blobs.content })
    .from(blobs)
    .where(inArray(blobs.sha256, [...new Set(manifest.map((entry) => entry.sha256))]));
  const contentBySha = new Map(rows.map((row) => [row.sha256, row.content]));
  return manifest.map((entry) => {
    const content = contentBySha.get(entry.sha256);
    if (!content) throw new NotFoundError(`blob ${entry.sha256} of revision ${id}`);
    return { path: entry.path, content, mode: entry.mode };
  });
}

export function sha256Hex(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Sorted by path with a plain code-unit comparison: localeCompare would make ids depend on the locale. */
export function buildManifest(files: RevisionFile[]): ManifestEntry[] {
  const manifest = files
    .map((file) => ({ path: file.path, sha256: sha256Hex(file.content), mode: file.mode }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (let i = 1; i < manifest.length; i++) {
    const path = manifest[i]!.path;
    if (path === manifest[i - 1]!.path) throw new InvalidInputError([{ path: 'files', message: `${path} appears twice` }]);
  }
  return manifest;
}

/** The id is the sha256 of the canonical JSON manifest: fixed key order, sorted entries, no spaces. */
export function revisionId(manifest: ManifestEntry[]): string {
  const canonical = JSON.stringify(manifest.map(({ path, sha256, mode }) => ({ path, sha256, mode })));
  return sha256Hex(canonical);
}

function* batchesBySize(entries: [string, Buffer][]): Generator<[string, Buffer][]> {
  let batch: [string, Buffer][] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (batch.length > 0 && bytes + entry[1].length > MAX_BLOB_BATCH_BYTES) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(entry);
    bytes += entry[1].length;
  }
  if (batch.length > 0) yield batch;
}

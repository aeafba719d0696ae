// Builds the dashboard into dist/: src/main.ts bundled with uPlot and highlight.js into app.js, the styles
// it imports into app.css, and index.html. `npm run build` runs it; so does a controller that finds dist/
// missing or older than the sources (running from source under tsx). Each file is written beside and
// renamed into place, so a server reading dist/ while another process builds sees whole files only.
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { distOf, findDashboardRoot } from './dashboard-files.js';

export async function buildDashboard(root: string | null = findDashboardRoot(import.meta.url)): Promise<string> {
  if (!root) throw new Error('the dashboard sources (services/dashboard/index.html and src/) were not found');
  const dist = distOf(root);
  const staging = join(root, `.build-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(dist, { recursive: true });
  await mkdir(staging, { recursive: true });
  try {
    const result = await build({
      entryPoints: { app: join(root, 'src', 'main.ts') },
      bundle: true,
      format: 'esm',
      target: 'es2022',
      minify: true,
      sourcemap: 'linked',
      write: false,
      outdir: staging,
      logLevel: 'silent',
    });
    for (const file of result.outputFiles) await writeFile(file.path, file.contents);
    await copyFile(join(root, 'index.html'), join(staging, 'index.html'));
    // index.html last: its time marks the build as complete (dashboard-files.ts, isBuildStale).
    const names = result.outputFiles.map((f) => basename(f.path));
    for (const name of [...names, 'index.html']) await rename(join(staging, name), join(dist, name));
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return dist;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const dist = await buildDashboard();
  process.stdout.write(`dashboard built into ${dist} in ${Date.now() - started} ms\n`);
}

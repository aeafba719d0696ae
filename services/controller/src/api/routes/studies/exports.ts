// /v1/studies/:id/exports: results.tsv, changelog.md and the best files, available at any time; for a
// skill study also results.json (per-eval breakdown) and report.md (working and holdout, before and after).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NotFoundError } from '../../../errors.js';
import { bestFilesOf, changelogOf, resultsJsonOf, resultsTsvOf, skillReportOf } from '../../../exports/study-exports.js';
import { StudyIdParams } from '../params.js';
import { requireStudy } from './index.js';

export const exportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.ctx;

  app.get('/:id/exports/results.tsv', { schema: { params: StudyIdParams } }, async (request, reply) => {
    const study = await requireStudy(store, request.team, request.params.id);
    return reply.type('text/tab-separated-values; charset=utf-8').send(await resultsTsvOf(store, study));
  });

  app.get('/:id/exports/changelog.md', { schema: { params: StudyIdParams } }, async (request, reply) => {
    const study = await requireStudy(store, request.team, request.params.id);
    return reply.type('text/markdown; charset=utf-8').send(await changelogOf(store, study));
  });

  app.get('/:id/exports/results.json', { schema: { params: StudyIdParams } }, async (request, reply) => {
    const study = await requireStudy(store, request.team, request.params.id);
    const json = await resultsJsonOf(store, study);
    if (json === null) throw new NotFoundError('results.json (only skill studies have a per-eval breakdown)');
    return reply.type('application/json; charset=utf-8').send(json);
  });

  app.get('/:id/exports/report.md', { schema: { params: StudyIdParams } }, async (request, reply) => {
    const study = await requireStudy(store, request.team, request.params.id);
    const report = await skillReportOf(store, study);
    if (report === null) throw new NotFoundError('report.md (only skill studies have a holdout report)');
    return reply.type('text/markdown; charset=utf-8').send(report);
  });

  app.get('/:id/exports/best', { schema: { params: StudyIdParams } }, async (request) => {
    const study = await requireStudy(store, request.team, request.params.id);
    const best = await bestFilesOf(store, study);
    return {
      revisionId: best.revisionId,
      score: best.score,
      files: best.files.map((f) => ({ path: f.path, contentBase64: f.content.toString('base64') })),
    };
  });
};

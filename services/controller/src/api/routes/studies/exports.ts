// /v1/studies/:id/exports: results.tsv, changelog.md and the best files, available at any time; for a
// skill study also results.json (per-eval breakdown) and report.md (working and holdout, before and after).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { NotFoundError } from '../../../errors.js';
import { bestFilesOf, changelogOf, resultsJsonOf, resultsTsvOf, skillReportOf } from '../../../exports/study-exports.js';
import { StudyIdParams } from '../params.js';
import { Nullable } from '../nullable.js';
import { errorResponses } from '../row-schemas.js';
import { requireStudy } from './index.js';

/** A file sent as text: documented by its media type, sent as it is (no JSON serialization). */
const textFile = (mediaType: string, name: string) => ({ description: name, content: { [mediaType]: { schema: { type: 'string' } } } });

export const exportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.ctx;

  app.get('/:id/exports/results.tsv', {
    schema: {
      summary: "results.tsv: one row per experiment, in autoresearch's columns (a skill study's own columns)",
      tags: ['exports'],
      params: StudyIdParams,
      response: { 200: textFile('text/tab-separated-values', 'results.tsv'), ...errorResponses },
    },
  }, async (request, reply) => {
    const study = await requireStudy(store, request.team, request.params.id);
    return reply.type('text/tab-separated-values; charset=utf-8').send(await resultsTsvOf(store, study));
  });

  app.get('/:id/exports/changelog.md', {
    schema: {
      summary: 'changelog.md: every experiment, kept or not, with its hypothesis, change and result',
      tags: ['exports'],
      params: StudyIdParams,
      response: { 200: textFile('text/markdown', 'changelog.md'), ...errorResponses },
    },
  }, async (request, reply) => {
    const study = await requireStudy(store, request.team, request.params.id);
    return reply.type('text/markdown; charset=utf-8').send(await changelogOf(store, study));
  });

  app.get('/:id/exports/results.json', {
    schema: {
      summary: "results.json: a skill study's passes per eval and per input, holdout rates and judge agreement",
      tags: ['exports'],
      params: StudyIdParams,
      response: { 200: Type.Unsafe({ type: 'object', additionalProperties: true, description: 'results.json' }), ...errorResponses },
    },
  }, async (request, reply) => {
    const study = await requireStudy(store, request.team, request.params.id);
    const json = await resultsJsonOf(store, study);
    if (json === null) throw new NotFoundError('results.json (only skill studies have a per-eval breakdown)');
    return reply.type('application/json; charset=utf-8').send(json);
  });

  app.get('/:id/exports/report.md', {
    schema: {
      summary: "report.md: a skill study's working and holdout pass rates, before and after",
      tags: ['exports'],
      params: StudyIdParams,
      response: { 200: textFile('text/markdown', 'report.md'), ...errorResponses },
    },
  }, async (request, reply) => {
    const study = await requireStudy(store, request.team, request.params.id);
    const report = await skillReportOf(store, study);
    if (report === null) throw new NotFoundError('report.md (only skill studies have a holdout report)');
    return reply.type('text/markdown; charset=utf-8').send(report);
  });

  app.get('/:id/exports/best', {
    schema: {
      summary: 'The mutable files of the best revision',
      tags: ['exports'],
      params: StudyIdParams,
      response: {
        200: Type.Object({
          revisionId: Type.String(),
          score: Nullable(Type.Number()),
          files: Type.Array(Type.Object({ path: Type.String(), contentBase64: Type.String() })),
        }),
        ...errorResponses,
      },
    },
  }, async (request) => {
    const study = await requireStudy(store, request.team, request.params.id);
    const best = await bestFilesOf(store, study);
    return {
      revisionId: best.revisionId,
      score: best.score,
      files: best.files.map((f) => ({ path: f.path, contentBase64: f.content.toString('base64') })),
    };
  });
};

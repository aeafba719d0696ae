// /v1/studies: create, list, get, stop, resume.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ConflictError, InvalidInputError } from '../../../errors.js';
import { confineWorkspacePath } from '../../../revisions/workspace-path.js';
import type { WorkspaceFile } from '../../../revisions/workspace-snapshot.js';
import { queueRemeasurement } from '../../../scheduler/noise-remeasurement.js';
import { createStudy, resumeStudy } from '../../../scheduler/study-lifecycle.js';
import { summarizeProgress } from '../../../scheduler/study-progress.js';
import { assertSpecMatchesWorkspace, hashSpec, validateStudySpec } from '../../../spec/load-study-folder.js';
import type { StudyRow } from '../../../store/schema.js';
import type { Store } from '../../../store/store.js';
import { assertStudyVisible, type RequestTeam } from '../../auth.js';
import { PageQuery, StudyIdParams } from '../params.js';
import { ErrorBody, errorResponses, EventSchema, page, StudyDetailSchema, StudySchema } from '../row-schemas.js';
import { Nullable } from '../nullable.js';

const CreateStudyBody = Type.Object(
  {
    spec: Type.Object({}, { additionalProperties: true, description: 'The study spec, as study.yaml would hold it.' }),
    files: Type.Array(
      Type.Object(
        {
          path: Type.String({ minLength: 1, maxLength: 512 }),
          contentBase64: Type.String(),
          mode: Type.Optional(Type.Integer({ minimum: 0, maximum: 0o777 })),
        },
        { additionalProperties: false },
      ),
      { maxItems: 5000 },
    ),
    owner: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: "Who submits the study; default: the API token's name." }),
    ),
    priority: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, default: 1, description: 'Fair-share weight: twice the priority, twice the slots.' }),
    ),
  },
  { additionalProperties: false },
);

export function studyView(study: StudyRow) {
  const { specHash: _specHash, ...rest } = study;
  return rest;
}

/** The study, if the request's team may see it; 404 otherwise (also for another team's study). */
export async function requireStudy(store: Store, team: RequestTeam | null, id: string): Promise<StudyRow> {
  return assertStudyVisible(team, await store.getStudy(id), id);
}

function decodeFiles(files: { path: string; contentBase64: string; mode?: number }[]): WorkspaceFile[] {
  const errors = [];
  const decoded: WorkspaceFile[] = [];
  const seen = new Set<string>();
  for (const [i, file] of files.entries()) {
    const confined = confineWorkspacePath(file.path);
    if (!confined.ok) {
      errors.push({ path: `files[${i}].path`, message: confined.problem });
      continue;
    }
    if (seen.has(confined.path)) errors.push({ path: `files[${i}].path`, message: `"${file.path}" appears twice` });
    seen.add(confined.path);
    decoded.push({ path: confined.path, content: Buffer.from(file.contentBase64, 'base64'), mode: file.mode ?? 0o644 });
  }
  if (errors.length > 0) throw new InvalidInputError(errors, 'invalid workspace files');
  return decoded;
}

export const studyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.ctx;

  app.post('/', {
    schema: {
      summary: 'Submit a study: its spec and workspace files',
      description: 'The spec is checked before anything is written; a bad one answers 400 naming each wrong field. Submitted by the token’s team.',
      tags: ['studies'],
      body: CreateStudyBody,
      response: { 201: StudySchema, ...errorResponses, 413: ErrorBody },
    },
  }, async (request, reply) => {
    const spec = validateStudySpec(request.body.spec);
    const files = decodeFiles(request.body.files);
    assertSpecMatchesWorkspace(spec, files);
    app.ctx.admitSpec?.(spec);
    const { team } = request;
    const study = await createStudy(store, {
      spec,
      specHash: hashSpec(spec),
      files,
      sourceDir: null,
      teamId: team?.id,
      owner: request.body.owner ?? team?.tokenName ?? null,
      priority: request.body.priority ?? 1,
    });
    app.ctx.scheduler?.nudge();
    return reply.status(201).send(studyView(study));
  });

  app.get('/', {
    schema: {
      summary: "List studies, newest first (a team's token sees its team's)",
      tags: ['studies'],
      querystring: PageQuery,
      response: { 200: page(StudySchema, Nullable(Type.String())), ...errorResponses },
    },
  }, async (request) => {
    const page = await store.listStudies({
      limit: request.query.limit,
      cursor: request.query.cursor,
      ...(request.team ? { teamId: request.team.id } : {}),
    });
    return { items: page.items.map(studyView), nextCursor: page.nextCursor };
  });

  app.get('/:id', {
    schema: {
      summary: 'A study with its progress and branch heads',
      tags: ['studies'],
      params: StudyIdParams,
      response: { 200: StudyDetailSchema, ...errorResponses },
    },
  }, async (request) => {
    const study = await requireStudy(store, request.team, request.params.id);
    const experiments = await store.listExperimentOutcomes(study.id);
    const branches = await store.listBranches(study.id);
    return {
      ...studyView(study),
      progress: summarizeProgress(experiments, study.spec.objective.direction),
      branches: branches.map((b) => ({ index: b.index, headRevisionId: b.headRevisionId, headScore: b.headScore, headExperimentId: b.headExperimentId })),
    };
  });

  app.post('/:id/stop', {
    schema: {
      summary: 'Stop a study cleanly: its running runs are stopped and recorded',
      tags: ['studies'],
      params: StudyIdParams,
      response: { 200: StudySchema, 202: StudySchema, ...errorResponses, 409: ErrorBody },
    },
  }, async (request, reply) => {
    const study = await requireStudy(store, request.team, request.params.id);
    if (study.status === 'stopped' || study.status === 'completed') return reply.status(200).send(studyView(study));
    if (!app.ctx.scheduler) throw new ConflictError('this server is read-only; stop the study where it runs');
    await app.ctx.scheduler.requestStop(study.id, 'stopped by user');
    return reply.status(202).send(studyView((await store.getStudy(study.id)) ?? study));
  });

  app.post('/:id/resume', {
    schema: {
      summary: 'Resume a stopped or completed study where it was',
      tags: ['studies'],
      params: StudyIdParams,
      response: { 200: StudySchema, 202: StudySchema, ...errorResponses, 409: ErrorBody },
    },
  }, async (request, reply) => {
    const study = await requireStudy(store, request.team, request.params.id);
    if (!app.ctx.scheduler) throw new ConflictError('this server is read-only; resume the study where it runs');
    if (study.status === 'running' || study.status === 'paused') return reply.status(200).send(studyView(study));
    if (study.status === 'stopping') throw new ConflictError('the study is still stopping; resume it once it has stopped');
    const resumed = await resumeStudy(store, study);
    app.ctx.scheduler.nudge();
    return reply.status(202).send(studyView(resumed));
  });

  // Measures the noise again now: the best head runs again unchanged (see scheduler/noise-remeasurement.ts).
  app.post('/:id/remeasure', {
    schema: {
      summary: 'Measure the noise again now: the best head runs again, unchanged',
      tags: ['studies'],
      params: StudyIdParams,
      response: {
        202: Type.Object({ number: Type.Integer({ description: 'The re-measurement experiment.' }), repeats: Type.Integer() }),
        ...errorResponses,
        409: ErrorBody,
      },
    },
  }, async (request, reply) => {
    const study = await requireStudy(store, request.team, request.params.id);
    if (!app.ctx.scheduler) throw new ConflictError('this server is read-only; ask where the study runs');
    if (study.status !== 'running' && study.status !== 'paused') throw new ConflictError(`the study is ${study.status}; only a running study can measure its noise again`);
    if (study.spec.flavor === 'skill') throw new ConflictError("a skill study's noise is the binomial variance of its pass rate: there is nothing to re-measure");
    const stop = { ...study.spec.stop, ...(study.stopOverrides as { maxExperiments?: number }) };
    const experiment = await queueRemeasurement(store, study, stop.maxExperiments);
    await store.appendEvent(study.id, 'experiment.created', { experimentId: experiment.id, number: experiment.number, description: experiment.description });
    app.ctx.scheduler.nudge();
    return reply.status(202).send({ number: experiment.number, repeats: experiment.repeats });
  });

  app.get('/:id/events', {
    schema: {
      summary: "A study's event log, in order, from a cursor",
      tags: ['studies'],
      params: StudyIdParams,
      querystring: Type.Object({
        after: Type.Integer({ minimum: 0, default: 0, description: 'The last event id already seen.' }),
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }),
      }),
      response: { 200: page(EventSchema), ...errorResponses },
    },
  }, async (request) => {
    await requireStudy(store, request.team, request.params.id);
    const items = await store.listEvents(request.params.id, { afterId: request.query.after, limit: request.query.limit });
    return { items, nextCursor: items.length === request.query.limit ? items[items.length - 1]!.id : null };
  });
};

// GET /v1/queue: the slots, which study holds each, and each active study's fair share.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Nullable } from '../nullable.js';
import { errorResponses } from '../row-schemas.js';
import { buildQueueView } from './queue-view.js';

const Holder = Type.Object({
  visible: Type.Boolean({ description: "False for another team's run: only its slot and size are shown." }),
  runId: Nullable(Type.String()),
  studyId: Nullable(Type.String()),
  studyName: Nullable(Type.String()),
  experimentNumber: Nullable(Type.Integer()),
  startedAt: Nullable(Type.String()),
  slot: Nullable(Type.String()),
  host: Nullable(Type.String()),
  gpus: Type.Integer(),
});

const QueueViewSchema = Type.Object({
  placement: Nullable(Type.String({ description: 'slots (this controller’s own), pool (a cluster’s GPUs), or null (read-only).' })),
  capacity: Type.Integer({ description: 'Slots, or GPUs in the pool.' }),
  slots: Type.Array(Type.Object({ name: Type.String(), gpus: Type.Integer(), holder: Type.Union([Holder, Type.Null()]) })),
  free: Type.Integer({ description: 'Free slots, or free GPUs of the pool.' }),
  elsewhere: Type.Array(Holder, { description: "Runs on other controllers' slots." }),
  studies: Type.Array(Type.Object({
    id: Type.String(),
    name: Type.String(),
    status: Type.String(),
    owner: Nullable(Type.String()),
    team: Type.String(),
    priority: Type.Integer(),
    running: Type.Integer(),
    queued: Type.Integer(),
    share: Type.Number({ description: 'Running runs per unit of priority: the next free slot goes to the smallest.' }),
    entitled: Type.Number({ description: 'The slots its priority entitles it to while the queue is contended.' }),
  })),
  otherTeams: Type.Union([
    Type.Object({ studies: Type.Integer(), running: Type.Integer(), queued: Type.Integer() }),
    Type.Null(),
  ], { description: "Other teams' demand, as totals; null when the caller sees every team." }),
});

export const queueRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.ctx;

  app.get('/', {
    schema: {
      summary: 'The slots, which study holds each, and the fair share of each active study',
      tags: ['queue'],
      response: { 200: QueueViewSchema, ...errorResponses },
    },
  }, async (request) => buildQueueView(await store.getQueueState(), {
    executor: app.ctx.executor,
    controllerId: app.ctx.controllerId,
    team: request.team,
  }));
};

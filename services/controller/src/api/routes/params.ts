// Shared request shapes.
import { Type } from '@sinclair/typebox';

export const StudyIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, description: 'The study id.' }) });

export const PageQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: "The previous page's nextCursor." })),
});

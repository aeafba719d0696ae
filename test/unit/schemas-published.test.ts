import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { publishedSchemas } from '../../schemas/src/published.js';

describe('published JSON Schemas', () => {
  it('match the TypeBox definitions (run `npm run schemas` after changing them)', () => {
    for (const [file, schema] of Object.entries(publishedSchemas())) {
      const onDisk = JSON.parse(readFileSync(new URL(`../../schemas/json/${file}`, import.meta.url), 'utf8')) as unknown;
      assert.deepEqual(onDisk, schema, `schemas/json/${file} is out of date`);
    }
  });
});

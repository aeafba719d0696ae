// Writes the JSON Schemas under schemas/json/ from the TypeBox definitions, so agents and clients in
// other languages can validate against the same contract. `npm run schemas`; a test checks they are current.
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { publishedSchemas } from './published.js';

const outDir = fileURLToPath(new URL('../json/', import.meta.url));
mkdirSync(outDir, { recursive: true });
for (const [file, schema] of Object.entries(publishedSchemas())) {
  writeFileSync(new URL(file, `file://${outDir}`), `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote schemas/json/${file}`);
}

// drizzle-kit reads this to generate SQL migrations from the schema (`npm run db:generate`).
// The generated files are committed; the controller applies them on start (store/open-store.ts).
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './services/controller/src/store/schema.ts',
  out: './services/controller/src/store/migrations',
  strict: true,
  verbose: true,
});

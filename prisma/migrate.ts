// `npm run db:migrate`: create the database if missing and apply pending migrations.
import { loadConfig } from '../src/config.js';
import { ensureDatabase, migrate } from '../src/db/migrate.js';

const { DATABASE_URL } = loadConfig();
const created = await ensureDatabase(DATABASE_URL);
const applied = await migrate(DATABASE_URL);
console.log(
  `${created ? 'created database; ' : ''}applied ${applied.length} migration(s)${applied.length ? ': ' + applied.join(', ') : ''}`,
);

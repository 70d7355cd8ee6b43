// `npm run db:seed`: migrates the database if needed and (re)seeds the demo data (src/seed/demo.ts).
import { loadConfig } from '../src/config.js';
import { ensureDatabase, migrate } from '../src/db/migrate.js';
import { createPrisma } from '../src/db/prisma.js';
import { DEMO_USER_COUNT, seededProvider, seedDemo } from '../src/seed/demo.js';

const config = loadConfig();
if (await ensureDatabase(config.DATABASE_URL)) console.log('created database');
const applied = await migrate(config.DATABASE_URL);
if (applied.length) console.log(`applied ${applied.length} migration(s): ${applied.join(', ')}`);
const prisma = createPrisma(config.DATABASE_URL, 2);
try {
  await seedDemo(prisma, { provider: seededProvider(config.PROVIDER_MODE) });
  const counts = {
    users: await prisma.user.count(),
    tenants: await prisma.tenant.count(),
    connections: await prisma.providerConnection.count(),
  };
  console.log(
    `seeded demo data: workspaces Contoso MSP and Other MSP, ${DEMO_USER_COUNT} users, 7 tenants (database now has ${counts.users} users, ${counts.tenants} tenants, ${counts.connections} connections)`,
  );
} finally {
  await prisma.$disconnect(); // also ends its pool, so the script exits at once
}

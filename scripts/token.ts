// `npm run token -- <email>`: prints a bearer token for a user (default: owner@contoso.test).
import { TokenService } from '../src/auth/tokens.js';
import { loadConfig } from '../src/config.js';
import { createPrisma } from '../src/db/prisma.js';

const email = process.argv[2] ?? 'owner@contoso.test';
const config = loadConfig();
const prisma = createPrisma(config.DATABASE_URL, 1);
try {
  const user = await prisma.user.findUnique({ where: { email } });
  if (!user) {
    console.error(`No user with email ${email}. Seed the demo data with \`npm run db:seed\`.`);
    process.exitCode = 1;
  } else {
    console.log(await new TokenService(config.JWT_SECRET).sign(user.id));
  }
} finally {
  await prisma.$disconnect();
}

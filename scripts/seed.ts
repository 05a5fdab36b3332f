/**
 * `npm run seed`: puts the demo catalogue and bakers into empty databases, as the first `npm start`
 * does, then stops. Databases that already hold products or bakers are left alone. Uses
 * MONGODB_URL (and DB_PREFIX) when set, otherwise the store `npm start` keeps in .data/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createLogger } from '../lib/logger.js';
import { connectDatabase } from '../lib/mongo.js';
import { seedBakers } from '../subgraphs/delivery/src/seed.js';
import { BakerStore } from '../subgraphs/delivery/src/store/baker.store.js';
import { seedCatalogue } from '../subgraphs/stock/src/seed.js';
import { ProductStore } from '../subgraphs/stock/src/store/product.store.js';
import { startInfrastructure } from './infra/index.js';
import { ROOT } from './services.js';

if (existsSync(`${ROOT}.env`)) process.loadEnvFile(`${ROOT}.env`);
const dataDir = `${ROOT}.data`;
mkdirSync(dataDir, { recursive: true });
const prefix = process.env.DB_PREFIX ?? 'bakery';
const log = createLogger('seed', 'info');
const infra = await startInfrastructure({ dataDir, ...(process.env.MONGODB_URL ? { mongoUrl: process.env.MONGODB_URL } : {}) });
try {
  const stock = await connectDatabase(infra.mongoUrl, `${prefix}_stock`);
  const delivery = await connectDatabase(infra.mongoUrl, `${prefix}_delivery`);
  try {
    const products = new ProductStore(stock);
    await products.init();
    await seedCatalogue(products, log);
    const bakers = new BakerStore(delivery);
    await bakers.init();
    await seedBakers(bakers, log);
    log.info({ databases: [`${prefix}_stock`, `${prefix}_delivery`] }, 'demo data in place');
  } finally {
    await Promise.all([stock.close(), delivery.close()]);
  }
} finally {
  await infra.stop();
}

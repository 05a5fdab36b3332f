import { runSubgraph } from '../../../lib/subgraph-main.js';
import { Catalogue } from './application/catalogue.js';
import { Reservations } from './application/reservations.js';
import { StockNotices } from './application/stock-notices.js';
import type { StockContext } from './context.js';
import { createStockLoaders } from './loaders.js';
import { resolvers } from './resolvers/index.js';
import { seedCatalogue } from './seed.js';
import { ProductStore } from './store/product.store.js';
import { ReservationStore } from './store/reservation.store.js';

runSubgraph<StockContext>({
  name: 'stock',
  schema: new URL('../schema.graphql', import.meta.url),
  async build({ config, db, redis, log, shutdown }) {
    const products = new ProductStore(db);
    const reservationStore = new ReservationStore(db);
    await Promise.all([products.init(), reservationStore.init()]);
    if (config.seedDemoData) await seedCatalogue(products, log);

    const notices = new StockNotices(products, redis, config.redisPrefix, log);
    shutdown.add('stock notices', () => notices.close());
    const catalogue = new Catalogue(products, notices);
    const reservations = new Reservations(products, reservationStore, notices, log);
    return { resolvers, context: (base) => ({ ...base, catalogue, reservations, loaders: createStockLoaders(products) }) };
  },
});

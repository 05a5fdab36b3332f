import type { Logger } from '../../../lib/logger.js';
import type { NewProduct } from './domain/product.js';
import type { ProductStore } from './store/product.store.js';

/** The demo catalogue a first `npm start` shows: some limited editions, one already sold out. */
export const DEMO_CATALOGUE: NewProduct[] = [
  { sku: 'SALT-BREAD', name: 'Salt bread', description: 'Buttery roll with a crisp salted base.', price: 3500, limitedEdition: false, initialStock: 120 },
  { sku: 'CROISSANT', name: 'Butter croissant', description: 'Laminated with French butter.', price: 4200, limitedEdition: false, initialStock: 80 },
  { sku: 'SOURDOUGH', name: 'Country sourdough', description: '48-hour levain loaf.', price: 8900, limitedEdition: false, initialStock: 30 },
  { sku: 'YUZU-CHEESECAKE', name: 'Yuzu basque cheesecake', description: 'Winter limited edition.', price: 32000, limitedEdition: true, initialStock: 12 },
  {
    sku: 'CHESTNUT-MONTBLANC',
    name: 'Chestnut mont blanc',
    description: 'Gongju chestnuts, only this week.',
    price: 9500,
    limitedEdition: true,
    initialStock: 20,
  },
  {
    sku: 'STRAWBERRY-SHORTCAKE',
    name: 'Strawberry shortcake',
    description: 'Limited edition: sold out until the next harvest.',
    price: 38000,
    limitedEdition: true,
    initialStock: 0,
  },
  { sku: 'MILK-BREAD', name: 'Hokkaido milk bread', description: null, price: 6500, limitedEdition: false, initialStock: 40 },
];

/** Seeds the catalogue only into an empty database: later starts leave existing data alone. */
export async function seedCatalogue(products: ProductStore, log: Logger): Promise<void> {
  if ((await products.model.estimatedDocumentCount()) > 0) return;
  for (const product of DEMO_CATALOGUE) await products.insert(product);
  log.info({ products: DEMO_CATALOGUE.length }, 'seeded the demo catalogue');
}

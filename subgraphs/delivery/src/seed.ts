import type { Logger } from '../../../lib/logger.js';
import type { BakerStore } from './store/baker.store.js';

export const DEMO_BAKERS = ['Minji Kim', 'Joon Park', 'Sora Lee'];

/** Seeds bakers only into an empty database: later starts leave existing data alone. */
export async function seedBakers(bakers: BakerStore, log: Logger): Promise<void> {
  if ((await bakers.model.estimatedDocumentCount()) > 0) return;
  for (const name of DEMO_BAKERS) await bakers.insert(name);
  log.info({ bakers: DEMO_BAKERS.length }, 'seeded the demo bakers');
}

import type { BakerResolvers } from '../generated/graphql.js';

export const Baker: BakerResolvers = {
  // Counted from the deliveries every time: no stored counter to drift (see BakerStore).
  openOrders: (baker, _, { loaders }) => loaders.openOrders.load(baker.id),
};

import { isSoldOut } from '../domain/product.js';
import type { ProductResolvers } from '../generated/graphql.js';

export const Product: ProductResolvers = {
  // Every product of a request's representations is read in one query; a malformed id names none.
  __resolveReference: ({ id }, { loaders }) => loaders.product.load(id),
  soldOut: (product) => isSoldOut(product),
};

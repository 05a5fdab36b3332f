import { isObjectIdString } from '../../../../lib/ids.js';
import { isSoldOut } from '../domain/product.js';
import type { ProductResolvers } from '../generated/graphql.js';

export const Product: ProductResolvers = {
  __resolveReference: async ({ id }, { catalogue }) => (isObjectIdString(id) ? catalogue.product(id) : null),
  soldOut: (product) => isSoldOut(product),
};

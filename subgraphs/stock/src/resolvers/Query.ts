import { hasRole } from '../../../../lib/auth.js';
import { forbidden } from '../../../../lib/errors.js';
import type { QueryResolvers } from '../generated/graphql.js';

export const Query: QueryResolvers = {
  products: (_, args, { catalogue, viewer }) => {
    if (args.includeArchived && !hasRole(viewer, 'STAFF')) throw forbidden('only staff see archived products');
    return catalogue.page(args);
  },
  // Archived products leave the public catalogue: to anyone but staff they look missing. (An order
  // line still names its product through the entity, whatever became of it since.)
  product: async (_, { id }, { catalogue, viewer }) => {
    const product = await catalogue.product(id);
    return product && (product.active || hasRole(viewer, 'STAFF')) ? product : null;
  },
};

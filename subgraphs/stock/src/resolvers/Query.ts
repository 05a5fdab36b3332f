import { hasRole } from '../../../../lib/auth.js';
import { forbidden } from '../../../../lib/errors.js';
import type { QueryResolvers } from '../generated/graphql.js';

export const Query: QueryResolvers = {
  products: (_, args, { catalogue, viewer }) => {
    if (args.includeArchived && !hasRole(viewer, 'STAFF')) throw forbidden('only staff see archived products');
    return catalogue.page(args);
  },
  product: (_, { id }, { catalogue }) => catalogue.product(id),
};

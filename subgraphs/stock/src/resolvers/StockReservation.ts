import type { StockReservationResolvers } from '../generated/graphql.js';

export const StockReservation: StockReservationResolvers = {
  orderId: (reservation) => reservation._id,
};

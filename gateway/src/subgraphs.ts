/** The four subgraphs the gateway composes, with the variable that overrides each one's URL. */
export const SUBGRAPHS = [
  { name: 'stock', urlVariable: 'STOCK_URL', defaultUrl: 'http://localhost:4001/graphql' },
  { name: 'order', urlVariable: 'ORDER_URL', defaultUrl: 'http://localhost:4002/graphql' },
  { name: 'payment', urlVariable: 'PAYMENT_URL', defaultUrl: 'http://localhost:4003/graphql' },
  { name: 'delivery', urlVariable: 'DELIVERY_URL', defaultUrl: 'http://localhost:4004/graphql' },
] as const;

export type SubgraphName = (typeof SUBGRAPHS)[number]['name'];

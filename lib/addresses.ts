/**
 * Where every process listens by default and how one finds another: the one table of ports and
 * URLs for the whole system. `<NAME>_PORT` moves a process; `<NAME>_URL` tells its callers
 * (the gateway, and subgraphs that call one another) where a subgraph moved to.
 */
export const DEFAULT_PORTS = { gateway: 4000, stock: 4001, order: 4002, payment: 4003, delivery: 4004, workers: 4005 } as const;

/** Every process of the system. */
export type ProcessName = keyof typeof DEFAULT_PORTS;

/** The four subgraphs the gateway composes. */
export const SUBGRAPH_NAMES = ['stock', 'order', 'payment', 'delivery'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

/** The variable that sets a process's port, e.g. `ORDER_PORT`. */
export const portVariable = (name: ProcessName): string => `${name.toUpperCase()}_PORT`;

/** The variable that tells callers a subgraph's URL, e.g. `ORDER_URL`. */
export const urlVariable = (name: SubgraphName): string => `${name.toUpperCase()}_URL`;

/** A subgraph's GraphQL URL when everything runs on this machine with the default ports. */
export const defaultUrl = (name: SubgraphName): string => `http://localhost:${DEFAULT_PORTS[name]}/graphql`;

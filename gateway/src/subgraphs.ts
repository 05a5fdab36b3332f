import { defaultUrl, SUBGRAPH_NAMES, type SubgraphName, urlVariable } from '../../lib/addresses.js';

export type { SubgraphName };

/** The four subgraphs the gateway composes, with the variable that overrides each one's URL. */
export const SUBGRAPHS = SUBGRAPH_NAMES.map((name) => ({ name, urlVariable: urlVariable(name), defaultUrl: defaultUrl(name) }));

/**
 * Repeated representations in one `_entities` fetch, sent once. `@apollo/gateway` sends one
 * representation per entity in the response: a page of ten orders whose lines name the same two
 * cakes asks the stock subgraph for twenty products, two of them distinct. The subgraph then
 * resolves, serializes and sends back each repeat, and the gateway parses it again.
 *
 * Two representations are the same entity when their JSON is the same (the gateway builds them
 * from the same key selection, so fields come in the same order). The answer is spread back to
 * every position that asked: a copy for each repeat, since the gateway merges later fetches into
 * each entity in place; an error at a repeated position is repeated with each position's path.
 */

type Representation = Record<string, unknown>;

interface EntitiesError {
  path?: ReadonlyArray<string | number>;
  [field: string]: unknown;
}

interface EntitiesBody {
  data?: { _entities?: unknown } | null;
  errors?: EntitiesError[];
  [field: string]: unknown;
}

export interface MergedRepresentations {
  /** The distinct representations, in the order each first appeared. */
  representations: Representation[];
  /** For each position asked for, the position of its representation among the distinct ones. */
  positions: number[];
}

/** The distinct representations of a fetch, or undefined when there are no repeats (send it as it is). */
export function mergeRepresentations(representations: unknown): MergedRepresentations | undefined {
  if (!Array.isArray(representations) || representations.length < 2) return undefined;
  const seen = new Map<string, number>();
  const distinct: Representation[] = [];
  const positions = representations.map((representation: Representation) => {
    const key = JSON.stringify(representation);
    let position = seen.get(key);
    if (position === undefined) {
      position = distinct.push(representation) - 1;
      seen.set(key, position);
    }
    return position;
  });
  return distinct.length < representations.length ? { representations: distinct, positions } : undefined;
}

/** The subgraph's answer to the distinct representations, as the answer to every position asked for. */
export function spreadEntities(answer: object, { positions }: MergedRepresentations): object {
  const body = answer as EntitiesBody;
  const entities = body.data?._entities;
  if (!Array.isArray(entities)) return body; // not an answer to spread: the gateway reports it
  const used = new Set<number>();
  const spread = positions.map((position) => {
    const entity = entities[position];
    if (!used.has(position)) {
      used.add(position);
      return entity;
    }
    return entity !== null && typeof entity === 'object' ? structuredClone(entity) : entity;
  });
  const errors = body.errors?.flatMap((error) => {
    const [field, position, ...rest] = error.path ?? [];
    if (field !== '_entities' || typeof position !== 'number') return [error];
    return positions.flatMap((distinct, asked) => (distinct === position ? [{ ...error, path: ['_entities', asked, ...rest] }] : []));
  });
  return { ...body, data: { ...body.data, _entities: spread }, ...(errors ? { errors } : {}) };
}

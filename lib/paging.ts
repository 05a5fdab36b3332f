import { badInput } from './errors.js';

/** Page sizes: clients ask for `first` items after an opaque cursor. */
export function pageSize(first: number | null | undefined, fallback: number, max = 100): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > max) throw badInput('first', `first must be from 1 to ${max}, got ${size}`);
  return size;
}

export const encodeCursor = (key: string): string => Buffer.from(`c:${key}`, 'utf8').toString('base64url');

/** Decodes a cursor made by `encodeCursor`; anything else is bad input. */
export function decodeCursor(cursor: string | null | undefined, validate: (key: string) => boolean): string | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const key = decoded.startsWith('c:') ? decoded.slice(2) : '';
  if (!validate(key)) throw badInput('after', 'after is not a cursor this API gave out');
  return key;
}

export interface PageInfo {
  endCursor: string | null;
  hasNextPage: boolean;
}

/** Builds a page from `size + 1` fetched items: the extra one only says there is more. */
export function toPage<T>(items: T[], size: number, keyOf: (item: T) => string): { nodes: T[]; pageInfo: PageInfo } {
  const nodes = items.slice(0, size);
  const last = nodes.at(-1);
  return { nodes, pageInfo: { endCursor: last ? encodeCursor(keyOf(last)) : null, hasNextPage: items.length > size } };
}

import { describe, expect, test } from '@jest/globals';
import { mergeRepresentations, spreadEntities } from './entity-representations.js';

const cake = { __typename: 'Product', id: 'cake' };
const tart = { __typename: 'Product', id: 'tart' };

describe('repeated representations in an _entities fetch', () => {
  test('are sent once each, in the order each first appeared', () => {
    expect(mergeRepresentations([cake, tart, { ...cake }, tart, cake])).toEqual({ representations: [cake, tart], positions: [0, 1, 0, 1, 0] });
  });

  test('a fetch without repeats, or that is not one of entities, is sent as it is', () => {
    expect(mergeRepresentations([cake, tart])).toBeUndefined();
    expect(mergeRepresentations([cake])).toBeUndefined();
    expect(mergeRepresentations(undefined)).toBeUndefined();
  });

  test('the answer reaches every position that asked, each its own copy', () => {
    const merged = mergeRepresentations([cake, tart, cake]);
    if (!merged) throw new Error('expected repeats');
    const answer = spreadEntities({ data: { _entities: [{ name: 'Cake', price: { amount: 4 } }, null] } }, merged) as {
      data: { _entities: Array<{ name: string; price: { amount: number } } | null> };
    };
    expect(answer.data._entities).toEqual([{ name: 'Cake', price: { amount: 4 } }, null, { name: 'Cake', price: { amount: 4 } }]);
    // The gateway merges later fetches into each entity in place: repeats must not share objects.
    expect(answer.data._entities[2]).not.toBe(answer.data._entities[0]);
    expect(answer.data._entities[2]?.price).not.toBe(answer.data._entities[0]?.price);
  });

  test('an error at a repeated entity is reported at each position that asked; other errors are kept as they are', () => {
    const merged = mergeRepresentations([cake, tart, cake, tart]);
    if (!merged) throw new Error('expected repeats');
    const notFound = { message: 'no such product', extensions: { code: 'NOT_FOUND' }, path: ['_entities', 1, 'name'] };
    const other = { message: 'something else' };
    const answer = spreadEntities({ data: { _entities: [{ name: 'Cake' }, null] }, errors: [notFound, other] }, merged) as { errors: unknown[] };
    expect(answer.errors).toEqual([{ ...notFound, path: ['_entities', 1, 'name'] }, { ...notFound, path: ['_entities', 3, 'name'] }, other]);
  });

  test('an answer without an _entities list is left for the gateway to report', () => {
    const merged = mergeRepresentations([cake, cake]);
    if (!merged) throw new Error('expected repeats');
    const answer = { data: null, errors: [{ message: 'down' }] };
    expect(spreadEntities(answer, merged)).toBe(answer);
  });
});

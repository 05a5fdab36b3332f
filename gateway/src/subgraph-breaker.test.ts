import { expect, test } from '@jest/globals';
import { requestedFields } from './subgraph-breaker.js';

const body = (query: string) => JSON.stringify({ query, variables: {} });

test('a root fetch names its root fields', () => {
  expect(requestedFields(body('{ products { nodes { sku } } __typename }'))).toEqual(['Query.products']);
  expect(requestedFields(body('mutation($id: ID!) { startBaking(orderId: $id) { id } }'))).toEqual(['Mutation.startBaking']);
});

test('an entity fetch names each type and field it asks for', () => {
  const query = 'query($representations:[_Any!]!){_entities(representations:$representations){...on Order{__typename payment{status} delivery{status}}}}';
  expect(requestedFields(body(query))).toEqual(['Order.payment', 'Order.delivery']);
});

test('a body that is not a GraphQL request names nothing', () => {
  expect(requestedFields('not json')).toEqual([]);
  expect(requestedFields(JSON.stringify({ query: '{ broken' }))).toEqual([]);
});

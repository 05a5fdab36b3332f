import { expect, test } from '@jest/globals';
import { GraphQLError } from 'graphql';
import { isPlacement, PlacementLine } from './placement-line.js';

const body = (query: string) => JSON.stringify({ query, variables: {} });
const placement = body('mutation PlaceOrder__order__0($input:PlaceOrderInput!){placed:placeOrder(input:$input){id status}}');

test('a placement is a mutation that asks for placeOrder, whatever its name or alias', () => {
  expect(isPlacement(placement)).toBe(true);
  expect(isPlacement(body('mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }'))).toBe(true);
  expect(isPlacement(body('mutation($id: ID!) { cancelOrder(orderId: $id) { id } }'))).toBe(false);
  expect(isPlacement(body('{ placeOrderHelp: myOrders(first: 1) { nodes { id } } }'))).toBe(false);
  expect(isPlacement(body('query($r:[_Any!]!){_entities(representations:$r){...on Order{status}}}'))).toBe(false);
  expect(isPlacement(undefined)).toBe(false);
});

test('placements past a full line are refused TOO_BUSY without being sent; other fetches go by', async () => {
  const line = new PlacementLine({ concurrency: 1, maxQueue: 0, maxWaitMs: 1_000 });
  let release = () => {};
  const first = line.send(placement, () => new Promise<string>((resolve) => (release = () => resolve('first'))));
  let sent = false;

  const refused = await line
    .send(placement, async () => {
      sent = true;
      return 'second';
    })
    .catch((error: unknown) => error);

  expect(refused).toBeInstanceOf(GraphQLError);
  expect((refused as GraphQLError).extensions).toMatchObject({ code: 'TOO_BUSY', retryAfterSeconds: 1 });
  expect(sent).toBe(false);
  await expect(line.send(body('{ products { nodes { id } } }'), async () => 'read')).resolves.toBe('read');
  release();
  await expect(first).resolves.toBe('first');
});

/**
 * Hostile input, generated: every public operation through the gateway, and the four subgraphs
 * directly, with arguments of every shape, garbled documents, odd bodies and every kind of
 * credential. Whatever comes in: no answer is a 5xx, none carries a stack trace, a file path or
 * the store's or driver's words, every error has a code, and no data changes while an error is
 * answered. Seeded and bounded: `npm test` runs FUZZ_CASES (300) cases, `npm run fuzz` 10,000,
 * and both print the counts.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, test } from '@jest/globals';
import fc from 'fast-check';
import mongoose from 'mongoose';
import type { Viewer } from '../../lib/auth.js';
import { startStack, type GraphQLResponse, type Stack } from '../support/stack.js';

const CASES = Number(process.env.FUZZ_CASES ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 20261127);

/** Words that would give away what runs inside: stack frames, paths, the store and its driver. */
const INTERNALS =
  /node_modules|\/work\/|\.ts:\d+|\bat \S+ \(|stacktrace|mongo|mongoose|ferret|sqlite|bson|E11000|Cast to \w+ failed|ECONNREFUSED|ioredis|bullmq|<html/i;

let stack: Stack;
let productIds: string[] = [];
let orderIds: string[] = [];

beforeAll(async () => {
  // No workers: nothing moves on its own while the suite compares the stores before and after.
  stack = await startStack({ services: ['stock', 'order', 'payment', 'delivery', 'gateway'] });
  const products = await stack.graphql<{ products: { nodes: Array<{ id: string }> } }>('{ products(first: 100) { nodes { id } } }');
  productIds = products.data?.products.nodes.map((node) => node.id) ?? [];
  const placed = await stack.graphql<{ placeOrder: { id: string } }>('mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', {
    token: await stack.customerToken('fuzz-customer'),
    variables: {
      input: {
        lines: [{ productId: productIds[0], quantity: 1 }],
        fulfilment: 'PICKUP',
        paymentMethod: 'CARD',
        paymentToken: 'tok_visa',
        idempotencyKey: randomUUID(),
      },
    },
  });
  orderIds = placed.data ? [placed.data.placeOrder.id] : [];
});
afterAll(() => stack?.stop());

// ---------------------------------------------------------------- what a hostile client sends

const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '$where',
    '{"$gt":""}',
    '../../etc/passwd',
    '<script>',
    '\u0000',
    'tok_visa',
    'A'.repeat(5_000),
    '0'.repeat(24),
    'ffffffffffffffffffffffff',
  ),
  fc.stringMatching(/^[0-9a-f]{24}$/),
);
const hostileNumber = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -1, 1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53, 1e21, 0.5, -0.0),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
/** Any JSON value, of bounded size: what arrives when a client ignores the schema. */
const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('$gt', '$ne', '__proto__', 'constructor', '__typename', 'id')), tie('value'), {
      maxKeys: 4,
    }),
  ),
})).value;

/** Ids of real products and orders (known once the stack runs), or anything else. */
const knownId = fc.nat().map((n) => {
  const known = [...productIds, ...orderIds];
  return known[n % known.length] ?? '0'.repeat(24);
});
const idValue = () => fc.oneof(knownId, hostileString, hostileValue);

type Credential =
  | { kind: 'none' }
  | { kind: 'customer' | 'staff' }
  | { kind: 'service' }
  | { kind: 'caller'; caller: Viewer | null }
  | { kind: 'garbage'; header: string };
const credential: fc.Arbitrary<Credential> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.constant({ kind: 'customer' as const }),
  fc.constant({ kind: 'staff' as const }),
  fc.constant({ kind: 'service' as const }),
  fc
    .constantFrom<Viewer | null>(null, { id: 'fuzz-customer', roles: ['CUSTOMER'] }, { id: 'staff-1', roles: ['STAFF'] })
    .map((caller) => ({ kind: 'caller' as const, caller })),
  fc
    .oneof(hostileString, fc.constantFrom('Bearer ', 'Bearer a.b.c', 'Basic eDp5', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'))
    .map((header) => ({ kind: 'garbage' as const, header })),
);

interface Operation {
  query: string;
  variables: (args: Record<string, unknown>) => Record<string, unknown>;
  args: fc.Arbitrary<Record<string, unknown>>;
  mutation: boolean;
}
const op = (query: string, args: Record<string, fc.Arbitrary<unknown>> = {}): Operation => ({
  query,
  variables: (values) => values,
  args: fc.record(args, { requiredKeys: [] }),
  mutation: query.trimStart().startsWith('mutation'),
});
const lineInput = fc.record({ productId: idValue(), quantity: fc.oneof(hostileNumber, hostileValue) }, { requiredKeys: [] });
const anyOf = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, hostileValue);

/** Every public operation of the gateway, with variables that may be anything. */
const PUBLIC: Operation[] = [
  op('{ viewer { id roles } }'),
  op(
    'query($a: Boolean, $f: Int, $c: String, $i: Boolean) { products(availableOnly: $a, first: $f, after: $c, includeArchived: $i) { nodes { id sku price available } pageInfo { endCursor hasNextPage } } }',
    { a: hostileValue, f: anyOf(hostileNumber), c: anyOf(hostileString), i: hostileValue },
  ),
  op('query($id: ID!) { product(id: $id) { id name price available soldOut active } }', { id: idValue() }),
  op('query($id: ID!) { order(id: $id) { id status total lines { quantity product { name } } payment { status } delivery { status } } }', { id: idValue() }),
  op('query($f: Int, $c: String) { myOrders(first: $f, after: $c) { nodes { id status } } }', { f: anyOf(hostileNumber), c: anyOf(hostileString) }),
  op('query($s: OrderStatus, $f: Int, $c: String) { orders(status: $s, first: $f, after: $c) { nodes { id status } } }', {
    s: anyOf(fc.constantFrom('CONFIRMED', 'BAKING', 'NOPE')),
    f: anyOf(hostileNumber),
    c: anyOf(hostileString),
  }),
  op('query($f: Int) { myNotifications(first: $f) { kind message } }', { f: anyOf(hostileNumber) }),
  op('{ myWallet { balance } }'),
  op('{ bakers { id name openOrders } }'),
  op('mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', {
    input: anyOf(
      fc.record(
        {
          sku: anyOf(hostileString),
          name: anyOf(hostileString),
          description: anyOf(hostileString),
          price: anyOf(hostileNumber),
          limitedEdition: hostileValue,
          initialStock: anyOf(hostileNumber),
        },
        { requiredKeys: [] },
      ),
    ),
  }),
  op('mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }', {
    id: idValue(),
    input: anyOf(
      fc.record(
        { name: anyOf(hostileString), description: anyOf(hostileString), price: anyOf(hostileNumber), limitedEdition: hostileValue },
        { requiredKeys: [] },
      ),
    ),
  }),
  op('mutation($id: ID!) { archiveProduct(id: $id) { id } }', { id: idValue() }),
  op('mutation($id: ID!, $q: Int!) { restockProduct(id: $id, quantity: $q) { id available } }', { id: idValue(), q: anyOf(hostileNumber) }),
  op('mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }', {
    input: anyOf(
      fc.record(
        {
          lines: anyOf(fc.array(lineInput, { maxLength: 25 })),
          fulfilment: anyOf(fc.constantFrom('PICKUP', 'DELIVERY')),
          deliveryAddress: anyOf(hostileString),
          paymentMethod: anyOf(fc.constantFrom('CARD', 'WALLET')),
          paymentToken: anyOf(fc.constantFrom('tok_visa', 'tok_chargeDeclined', 'tok_timeout')),
          idempotencyKey: anyOf(hostileString),
        },
        { requiredKeys: [] },
      ),
    ),
  }),
  op('mutation($id: ID!, $r: String) { cancelOrder(id: $id, reason: $r) { id status } }', { id: idValue(), r: anyOf(hostileString) }),
  op('mutation($id: ID!, $r: String) { rejectOrder(orderId: $id, reason: $r) { id status } }', { id: idValue(), r: anyOf(hostileString) }),
  op('mutation($a: Int!) { depositToWallet(amount: $a) { balance } }', { a: anyOf(hostileNumber) }),
  ...['startBaking', 'markReady', 'dispatchOrder', 'completeOrder'].map((name) =>
    op(`mutation($id: ID!) { ${name}(orderId: $id) { id status } }`, { id: idValue() }),
  ),
];

/** What only a subgraph serves: the federation fields and the internal operations. */
const INTERNAL: Operation[] = [
  op('{ _service { sdl } }'),
  op('query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id } } }', {
    r: anyOf(
      fc.array(fc.oneof(fc.record({ __typename: fc.constantFrom('Order', 'Product', 'Payment', 'Delivery', 'Nope'), id: idValue() }), hostileValue), {
        maxLength: 8,
      }),
    ),
  }),
  op('mutation($o: ID!, $l: [StockLineInput!]!) { reserveStock(orderId: $o, lines: $l) { status } }', {
    o: idValue(),
    l: anyOf(fc.array(lineInput, { maxLength: 5 })),
  }),
  op('mutation($o: ID!) { releaseStock(orderId: $o) { status } }', { o: idValue() }),
  op('mutation($input: AuthorizePaymentInput!) { authorizePayment(input: $input) { status } }', {
    input: anyOf(
      fc.record(
        {
          orderId: idValue(),
          customerId: anyOf(hostileString),
          amount: anyOf(hostileNumber),
          method: anyOf(fc.constantFrom('CARD', 'WALLET')),
          token: anyOf(hostileString),
        },
        { requiredKeys: [] },
      ),
    ),
  }),
  op('mutation($o: ID!) { refundPayment(orderId: $o) { status } }', { o: idValue() }),
  op('mutation($o: ID!, $s: DeliveryStatus!) { recordDeliveryProgress(orderId: $o, status: $s) { id } }', {
    o: idValue(),
    s: anyOf(fc.constantFrom('BAKING', 'COMPLETED', 'CANCELLED')),
  }),
];

/** Edits a document the way a fuzzer would: a character dropped, doubled or replaced. */
const garbled = (query: string) =>
  fc
    .tuple(fc.nat({ max: query.length }), fc.constantFrom('drop', 'double', 'replace'), fc.string({ minLength: 1, maxLength: 3 }))
    .map(([at, how, text]) =>
      how === 'drop'
        ? query.slice(0, at) + query.slice(at + 1)
        : how === 'double'
          ? query.slice(0, at) + query.slice(at, at + 5).repeat(2) + query.slice(at + 5)
          : query.slice(0, at) + text + query.slice(at + 1),
    );

type Target = 'gateway' | 'stock' | 'order' | 'payment' | 'delivery';
interface Case {
  target: Target;
  credential: Credential;
  body: { kind: 'graphql'; query: string; variables: unknown; mutation: boolean } | { kind: 'raw'; contentType: string; body: string };
}

const operationCase = (operations: Operation[]) =>
  fc.constantFrom(...operations).chain((operation) =>
    fc.oneof(
      {
        weight: 6,
        arbitrary: operation.args.map((args) => ({
          kind: 'graphql' as const,
          query: operation.query,
          variables: operation.variables(args),
          mutation: operation.mutation,
        })),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(garbled(operation.query), hostileValue)
          .map(([query, variables]) => ({ kind: 'graphql' as const, query, variables, mutation: operation.mutation })),
      },
    ),
  );
const rawBody = fc.record({
  kind: fc.constant('raw' as const),
  contentType: fc.constantFrom('application/json', 'application/json; charset=latin1', 'text/plain', 'application/graphql', 'multipart/form-data', ''),
  body: fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.json({ maxDepth: 3 }),
    fc.constantFrom('{', '123', '[]', 'null', '{"query":null}', '{"query":{}}', '[{"query":"{ viewer { id } }"}]'),
  ),
});

const CASE: fc.Arbitrary<Case> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      target: fc.constant<Target>('gateway'),
      credential,
      body: fc.oneof({ weight: 8, arbitrary: operationCase(PUBLIC) }, { weight: 1, arbitrary: rawBody }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      target: fc.constantFrom<Target>('stock', 'order', 'payment', 'delivery'),
      credential,
      body: fc.oneof({ weight: 4, arbitrary: operationCase([...INTERNAL, ...PUBLIC]) }, { weight: 1, arbitrary: rawBody }),
    }),
  },
);

// ---------------------------------------------------------------- running a case

async function authorization(credential: Credential): Promise<string | undefined> {
  switch (credential.kind) {
    case 'none':
      return undefined;
    case 'customer':
      return `Bearer ${await stack.customerToken('fuzz-customer')}`;
    case 'staff':
      return `Bearer ${stack.staffToken}`;
    case 'service':
      return `Bearer ${await stack.serviceToken()}`;
    case 'caller':
      return `Bearer ${await stack.callerToken(credential.caller)}`;
    case 'garbage':
      return credential.header;
  }
}

async function send(example: Case): Promise<{ status: number; text: string }> {
  const header = await authorization(example.credential);
  const headers: Record<string, string> = header ? { authorization: header.replace(/[^\t\x20-\x7e]/g, '?') } : {};
  let body: string;
  if (example.body.kind === 'graphql') {
    headers['content-type'] = 'application/json';
    body = JSON.stringify({ query: example.body.query, variables: example.body.variables });
  } else {
    if (example.body.contentType) headers['content-type'] = example.body.contentType;
    body = example.body.body;
  }
  const response = await fetch(stack.services.url(example.target), { method: 'POST', headers, body });
  return { status: response.status, text: await response.text() };
}

/** A digest of every document in the stack's four databases, left-over outbox entries aside. */
async function storeDigest(connection: mongoose.Connection): Promise<string> {
  const hash = createHash('sha256');
  for (const name of ['stock', 'order', 'payment', 'delivery']) {
    const db = connection.useDb(`${stack.dbPrefix}_${name}`);
    const collections = (await db.db?.listCollections().toArray()) ?? [];
    for (const { name: collection } of collections.sort((a, b) => a.name.localeCompare(b.name))) {
      const documents = await db.collection(collection).find({}).sort({ _id: 1 }).toArray();
      for (const { outbox: _outbox, ...document } of documents) hash.update(`${collection}:${JSON.stringify(document)}\n`);
    }
  }
  return hash.digest('hex');
}

test(
  `${CASES} hostile requests (seed ${SEED}): no 5xx, no internals, no change on error`,
  async () => {
    const connection = await mongoose.createConnection(process.env.MONGODB_URL as string).asPromise();
    const counts = {
      cases: 0,
      gateway: 0,
      subgraphs: 0,
      answered2xx: 0,
      answered4xx: 0,
      errors: 0,
      fivexx: 0,
      leaks: 0,
      uncoded: 0,
      notJson: 0,
      changedOnError: 0,
    };
    const problems: string[] = [];
    try {
      let digest = await storeDigest(connection);
      for (const example of fc.sample(CASE, { seed: SEED, numRuns: CASES })) {
        counts.cases += 1;
        counts[example.target === 'gateway' ? 'gateway' : 'subgraphs'] += 1;
        const { status, text } = await send(example);
        const where = `${example.target} ${JSON.stringify(example).slice(0, 300)} -> ${status} ${text.slice(0, 300)}`;
        if (status >= 500) (counts.fivexx += 1), problems.push(`5xx: ${where}`);
        else if (status >= 400) counts.answered4xx += 1;
        else counts.answered2xx += 1;
        if (INTERNALS.test(text)) (counts.leaks += 1), problems.push(`internals: ${where}`);
        let body: GraphQLResponse | undefined;
        try {
          body = JSON.parse(text) as GraphQLResponse;
        } catch {
          counts.notJson += 1;
          problems.push(`not JSON: ${where}`);
        }
        const errors = body?.errors ?? [];
        if (errors.length > 0) counts.errors += 1;
        if (errors.some((error) => typeof error.extensions?.code !== 'string')) (counts.uncoded += 1), problems.push(`no code: ${where}`);
        // Queries change nothing; a mutation answered with an error must not have either.
        const mutation = example.body.kind === 'graphql' ? example.body.mutation : true;
        if (mutation) {
          const now = await storeDigest(connection);
          const answeredError = errors.length > 0 && !Object.values(body?.data ?? {}).some((value) => value !== null);
          if (answeredError && now !== digest) (counts.changedOnError += 1), problems.push(`changed on error: ${where}`);
          digest = now;
        }
      }
    } finally {
      await connection.close();
    }
    console.log(
      `hostile input, seed ${SEED}\n${Object.entries(counts)
        .map(([name, count]) => `  ${name.padEnd(16)} ${count}`)
        .join('\n')}`,
    );
    assert.deepEqual(problems.slice(0, 10), []);
    assert.equal(counts.fivexx + counts.leaks + counts.uncoded + counts.notJson + counts.changedOnError, 0);
    // A bound that catches a hang, scaled to the number of cases (npm run fuzz runs 10,000).
  },
  Math.max(300_000, CASES * 300),
);

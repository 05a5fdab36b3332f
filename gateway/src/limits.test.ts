import assert from 'node:assert/strict';
import { test } from '@jest/globals';
import { buildSchema, getOperationAST, parse, validate } from 'graphql';
import { ASSUMED_LIST_LENGTH, costError, operationCost, queryLimitRules } from './limits.js';

const schema = buildSchema(`
  type Query { node: Node orders(first: Int = 50): OrderConnection! }
  type Node { id: ID! child: Node }
  type OrderConnection { nodes: [Order!]! }
  type Order { id: ID! lines: [Line!]! }
  type Line { quantity: Int! }
`);
const limits = { maxDepth: 3, maxAliases: 2, maxTokens: 1000, maxDirectives: 5, maxCost: 1000 };
const rules = queryLimitRules(limits);
const errorsOf = (query: string) => validate(schema, parse(query), rules).map((error) => ({ message: error.message, code: error.extensions.code }));
const messagesOf = (query: string) => errorsOf(query).map((error) => error.message);
const costOf = (query: string, variables: Record<string, unknown> = {}) => {
  const document = parse(query);
  const operation = getOperationAST(document);
  assert.ok(operation);
  return operationCost(schema, document, operation, variables);
};

test('an operation within the limits passes', () => {
  assert.deepEqual(errorsOf('{ node { child { id } } }'), []);
});

test('depth counts through fragments, and is refused as QUERY_TOO_COMPLEX', () => {
  assert.match(messagesOf('{ node { child { child { id } } } }')[0] ?? '', /depth limit of 3 exceeded, found 4/);
  assert.match(messagesOf('{ node { ...F } } fragment F on Node { child { child { id } } }')[0] ?? '', /found 4/);
  assert.equal(errorsOf('{ node { child { child { id } } } }')[0]?.code, 'QUERY_TOO_COMPLEX');
});

test('aliases are counted each time their fragment is spread', () => {
  assert.deepEqual(errorsOf('{ a: node { id } b: node { id } }'), []);
  assert.match(messagesOf('{ a: node { id } b: node { id } c: node { id } }')[0] ?? '', /Aliases limit of 2 exceeded, found 3/);
  assert.match(messagesOf('{ node { ...F child { ...F } } } fragment F on Node { a: id b: id }')[0] ?? '', /found 4/);
});

test('directives are limited', () => {
  assert.match(
    messagesOf('{ node { id @skip(if: false) @include(if: true) child @skip(if: false) { id @skip(if: false) @skip(if: false) @skip(if: false) } } }')[0] ?? '',
    /Directives limit of 5/,
  );
});

test('a list multiplies what sits under it by its first argument, or its default', () => {
  assert.equal(costOf('{ orders(first: 10) { nodes { id } } }'), 1 + (1 + 1) * 10);
  assert.equal(costOf('query($n: Int) { orders(first: $n) { nodes { id } } }', { n: 100 }), 1 + (1 + 1) * 100);
  assert.equal(costOf('{ orders { nodes { id } } }'), 1 + (1 + 1) * 50);
  // A list without first is taken to be ASSUMED_LIST_LENGTH long.
  assert.equal(costOf('{ orders(first: 1) { nodes { lines { quantity } } } }'), 1 + (1 + (1 + 1 * ASSUMED_LIST_LENGTH)) * 1);
});

test('fragments are costed as executed: nested doubling costs what it would run, computed at once', () => {
  const levels = 40;
  const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i + 1} on Node { a${i}: child { ...F${i} } b${i}: child { ...F${i} } }`).join(' ');
  const query = `{ node { ...F${levels} } } fragment F0 on Node { id } ${fragments}`;
  const started = performance.now();
  const cost = costOf(query);
  assert.ok(performance.now() - started < 1_000, 'linear in the document, not in what it expands to');
  assert.ok(cost > 2 ** levels, `cost ${cost}`);
});

test('the cost error names the cost and the limit', () => {
  const document = parse('{ a: orders(first: 100) { nodes { lines { quantity } } } }');
  const operation = getOperationAST(document);
  assert.ok(operation);
  const error = costError(schema, document, operation, {}, limits);
  assert.equal(error?.extensions.code, 'QUERY_TOO_COMPLEX');
  assert.match(error?.message ?? '', /cost 1201; at most 1000/);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSchema, parse, validate } from 'graphql';
import { queryLimitRules } from './limits.js';

const schema = buildSchema(`
  type Query { node: Node }
  type Node { id: ID! child: Node }
`);
const rules = queryLimitRules({ maxDepth: 3, maxAliases: 2, maxTokens: 1000 });
const errorsOf = (query: string) => validate(schema, parse(query), rules).map((error) => error.message);

test('an operation within the limits passes', () => {
  assert.deepEqual(errorsOf('{ node { child { id } } }'), []);
});

test('depth counts through fragments', () => {
  assert.match(errorsOf('{ node { child { child { id } } } }')[0] ?? '', /4 levels deep; at most 3/);
  assert.match(errorsOf('{ node { ...F } } fragment F on Node { child { child { id } } }')[0] ?? '', /4 levels deep/);
});

test('aliases are counted across the operation', () => {
  assert.deepEqual(errorsOf('{ a: node { id } b: node { id } }'), []);
  assert.match(errorsOf('{ a: node { id } b: node { id } c: node { id } }')[0] ?? '', /3 aliases; at most 2/);
});

import { expect, test } from '@jest/globals';
import { buildSchema, parse, validate } from 'graphql';
import { queryLimitRules } from './limits.js';

const schema = buildSchema(`
  type Query { node: Node }
  type Node { id: ID! child: Node }
`);
const rules = queryLimitRules({ maxDepth: 3, maxAliases: 2, maxTokens: 1000 });
const errorsOf = (query: string) => validate(schema, parse(query), rules).map((error) => error.message);

test('an operation within the limits passes', () => {
  expect(errorsOf('{ node { child { id } } }')).toStrictEqual([]);
});

test('depth counts through fragments', () => {
  expect(errorsOf('{ node { child { child { id } } } }')[0] ?? '').toMatch(/4 levels deep; at most 3/);
  expect(errorsOf('{ node { ...F } } fragment F on Node { child { child { id } } }')[0] ?? '').toMatch(/4 levels deep/);
});

test('aliases are counted across the operation', () => {
  expect(errorsOf('{ a: node { id } b: node { id } }')).toStrictEqual([]);
  expect(errorsOf('{ a: node { id } b: node { id } c: node { id } }')[0] ?? '').toMatch(/3 aliases; at most 2/);
});

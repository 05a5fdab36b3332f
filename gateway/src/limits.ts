/**
 * What one operation may ask of the bakery, checked before anything runs, the same over HTTP and
 * graphql-ws. Depth, aliases and directives come from GraphQL Armor, each counted through
 * fragments as the operation would execute; tokens are bounded by the parser (`maxTokens`).
 * Armor's own cost limit knows nothing of list sizes, so the cost here is our own: every field
 * costs 1, and what sits under a list costs as many times as the list may be long.
 */
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  isInterfaceType,
  typeFromAST,
  valueFromAST,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';
import { ErrorCode } from '../../lib/errors.js';
import type { QueryLimits } from './config.js';

/** How long a list without a `first` argument is taken to be (an order's lines, its history). */
export const ASSUMED_LIST_LENGTH = 10;

const tooComplex = (message: string) => new GraphQLError(message, { extensions: { code: ErrorCode.QueryTooComplex, http: { status: 400 } } });

/** GraphQL Armor's validation rules for depth, aliases and directives, reporting QUERY_TOO_COMPLEX. */
export function queryLimitRules(limits: QueryLimits): ValidationRule[] {
  const report = {
    propagateOnRejection: false,
    onReject: [
      (context: { reportError(error: GraphQLError): void } | null, error: GraphQLError) =>
        context?.reportError(tooComplex(error.message.replace(/^Syntax Error: /, ''))),
    ],
  };
  const { validationRules } = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, flattenFragments: true, ...report },
    maxAliases: { n: limits.maxAliases, ...report },
    maxDirectives: { n: limits.maxDirectives, ...report },
    // Token counts: the parser's own `maxTokens`. Cost: operationCost below.
    maxTokens: { enabled: false },
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  }).protect();
  return validationRules as ValidationRule[];
}

/**
 * Hides graphql-js's "Did you mean …?", so a client cannot map the schema field by field. (Armor's
 * own plugin for this rewrites `error.message` in place, which throws on errors whose message is a
 * getter, such as a fetch's abort; this works on the formatted copy instead.)
 */
export const maskSuggestions = (message: string) => message.replace(/ Did you mean .+\?$/, ' [Suggestion hidden]?');

/**
 * The cost of an operation as it would execute: fragments expanded (each fragment is costed once
 * and reused, so a document that doubles through nested fragments costs what it would execute,
 * computed in time linear in its size), aliases counted each time, and everything under a list
 * multiplied by the list's length: its `first` argument (or that argument's default), or
 * {@link ASSUMED_LIST_LENGTH}. The `nodes` of a connection are the connection's `first`.
 */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const fragmentCosts = new Map<string, number>();

  const costOf = (selectionSet: SelectionSetNode, parent: GraphQLNamedType): number => {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? typeFromAST(schema, selection.typeCondition) : parent;
        cost += costOf(selection.selectionSet, type ?? parent);
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        if (!fragmentCosts.has(name)) {
          fragmentCosts.set(name, 0); // a cycle costs nothing more (and fails validation anyway)
          const fragment = fragments.get(name);
          const type = fragment && typeFromAST(schema, fragment.typeCondition);
          fragmentCosts.set(name, fragment && type ? costOf(fragment.selectionSet, type) : 0);
        }
        cost += fragmentCosts.get(name) ?? 0;
      } else {
        const name = selection.name.value;
        // Introspection is bounded by the schema, not by the caller (and is off in production).
        if (name.startsWith('__')) {
          cost += 1;
          continue;
        }
        const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
        if (!field) continue; // unknown fields fail validation
        const children = selection.selectionSet ? costOf(selection.selectionSet, getNamedType(field.type)) : 0;
        cost += 1 + children * multiplier(field, parent, selection.arguments ?? [], variables);
      }
    }
    return cost;
  };

  const root =
    operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  return root ? costOf(operation.selectionSet, root) : 0;
}

function multiplier(
  field: GraphQLField<unknown, unknown>,
  parent: GraphQLNamedType,
  args: ReadonlyArray<{ name: { value: string }; value: Parameters<typeof valueFromAST>[0] }>,
  variables: Record<string, unknown>,
): number {
  const first = field.args.find((arg) => arg.name === 'first');
  if (first) {
    const given = args.find((arg) => arg.name.value === 'first');
    const value = given ? valueFromAST(given.value, first.type, variables) : first.defaultValue;
    return typeof value === 'number' && value > 0 ? value : ASSUMED_LIST_LENGTH;
  }
  // A connection's `first` already counted its nodes.
  if (parent.name.endsWith('Connection')) return 1;
  return isListType(getNullableType(field.type)) ? ASSUMED_LIST_LENGTH : 1;
}

/** The cost check, for HTTP (the plugin below) and graphql-ws alike. */
export function costError(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  limits: QueryLimits,
): GraphQLError | null {
  const cost = operationCost(schema, document, operation, variables);
  return cost > limits.maxCost
    ? tooComplex(`the operation would cost ${cost}; at most ${limits.maxCost} is allowed (lists count as many times as they may be long)`)
    : null;
}

/** Refuses an operation over the cost limit once its variables are known, before it runs. */
export function costLimit<TContext extends object>(limits: QueryLimits): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          const error = costError(schema, document, operation, request.variables ?? {}, limits);
          if (error) throw error;
        },
      };
    },
  };
}

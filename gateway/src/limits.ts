import { GraphQLError, Kind, type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext } from 'graphql';
import type { QueryLimits } from './config.js';

const tooComplex = (message: string) => new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });

/**
 * Validation rules that bound what one operation may ask of the subgraphs: its depth (fragments
 * followed) and its number of aliases. Token counts are bounded by the parser (`maxTokens`).
 */
export function queryLimitRules(limits: QueryLimits): Array<(context: ValidationContext) => ASTVisitor> {
  return [
    (context) => ({
      OperationDefinition(operation) {
        const fragments = new Map<string, FragmentDefinitionNode>();
        for (const definition of context.getDocument().definitions) {
          if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
        }
        const depth = depthOf(operation.selectionSet, fragments, new Set());
        if (depth > limits.maxDepth) {
          context.reportError(tooComplex(`the operation is ${depth} levels deep; at most ${limits.maxDepth} are allowed`));
        }
      },
    }),
    (context) => {
      let aliases = 0;
      return {
        Field(field) {
          if (field.alias) aliases += 1;
        },
        Document: {
          leave() {
            if (aliases > limits.maxAliases) {
              context.reportError(tooComplex(`the operation uses ${aliases} aliases; at most ${limits.maxAliases} are allowed`));
            }
          },
        },
      };
    },
  ];
}

function depthOf(selectionSet: SelectionSetNode | undefined, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>): number {
  if (!selectionSet) return 0;
  let deepest = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      // Introspection's own nesting is bounded by the schema, not by the caller.
      if (selection.name.value.startsWith('__')) continue;
      deepest = Math.max(deepest, 1 + depthOf(selection.selectionSet, fragments, seen));
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      deepest = Math.max(deepest, depthOf(selection.selectionSet, fragments, seen));
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || seen.has(name)) continue; // unknown or cyclic fragments fail other rules
      deepest = Math.max(deepest, depthOf(fragment.selectionSet, fragments, new Set([...seen, name])));
    }
  }
  return deepest;
}

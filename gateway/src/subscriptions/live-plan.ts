/**
 * How a subscription operation becomes queries: the subscriber's selection on the root field is
 * resolved for each change by a query of the public API (the topic's query field, such as
 * `order(id:)`), so it may select fields of every subgraph and is authorized like any query.
 * Pure: no I/O.
 */
import {
  Kind,
  getArgumentValues,
  print,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type VariableDefinitionNode,
} from 'graphql';
import type { HistoryEntry, LiveTopic } from '../../../lib/live.js';

/** What the subscriber asked for, and the query that resolves it for one entity. */
export interface LivePlan {
  /** The live topic the subscription follows. */
  topic: LiveTopic;
  /** Where the data goes in each message: the root field's alias or name. */
  responseKey: string;
  /** The entity named by the argument, or null for every one the subscriber may see. */
  entityId: string | null;
  /** The query, with `$bakeryLiveId` for the entity. */
  query: string;
  /** The subscriber's variables that the query still uses. */
  variables: Record<string, unknown>;
  /** Response keys, by field name, of the root fields that each message pins to its change. */
  keys: Record<string, string[]>;
}

/** The hidden field a query adds for a topic with a history, so a message can be cut at its change. */
export const HISTORY_KEY = 'bakeryLiveHistory';
const ID_VARIABLE = 'bakeryLiveId';

/** Plans a validated subscription operation; null for a root field this gateway does not serve. */
export function planSubscription(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variableValues: Record<string, unknown>,
  topics: readonly LiveTopic[],
): LivePlan | null {
  const field = operation.selectionSet.selections[0];
  if (!field || field.kind !== Kind.FIELD) return null;
  const topic = topics.find((candidate) => candidate.subscription.field === field.name.value);
  const definition = schema.getSubscriptionType()?.getFields()[field.name.value];
  if (!topic || !definition) return null;

  const args = getArgumentValues(definition, field, variableValues);
  const argument = args[topic.subscription.argument];
  const entityId = typeof argument === 'string' ? argument : null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const node of document.definitions) if (node.kind === Kind.FRAGMENT_DEFINITION) fragments.set(node.name.value, node);

  const selectionSet = field.selectionSet;
  if (!selectionSet) return null;
  const extra: FieldNode[] = topic.history ? [fieldNode(topic.history.field, HISTORY_KEY, [fieldNode('status'), fieldNode('at')])] : [];
  const entityField: FieldNode = {
    kind: Kind.FIELD,
    alias: { kind: Kind.NAME, value: 'live' },
    name: { kind: Kind.NAME, value: topic.subscription.query },
    arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'id' }, value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: ID_VARIABLE } } }],
    selectionSet: { kind: Kind.SELECTION_SET, selections: [...selectionSet.selections, ...extra] },
  };
  const used = usedVariables(selectionSet, fragments);
  const keptDefinitions = (operation.variableDefinitions ?? []).filter((definition) => used.has(definition.variable.name.value));
  const idDefinition: VariableDefinitionNode = {
    kind: Kind.VARIABLE_DEFINITION,
    variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: ID_VARIABLE } },
    type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } },
  };
  const query: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: 'query' as OperationDefinitionNode['operation'],
        name: { kind: Kind.NAME, value: 'BakeryLive' },
        variableDefinitions: [idDefinition, ...keptDefinitions],
        selectionSet: { kind: Kind.SELECTION_SET, selections: [entityField] },
      },
      ...[...fragments.values()].filter((fragment) => usesFragment(selectionSet, fragments, fragment.name.value)),
    ],
  };

  const pinnedFields = [...topic.pinned, ...(topic.history ? [topic.history.field] : [])];
  return {
    topic,
    responseKey: field.alias?.value ?? field.name.value,
    entityId,
    query: print(query),
    variables: Object.fromEntries(keptDefinitions.map((definition) => [definition.variable.name.value, variableValues[definition.variable.name.value]])),
    keys: Object.fromEntries(pinnedFields.map((name) => [name, responseKeys(selectionSet, fragments, name)])),
  };
}

export const ENTITY_ID_VARIABLE = ID_VARIABLE;

function fieldNode(name: string, alias?: string, children?: FieldNode[]): FieldNode {
  return {
    kind: Kind.FIELD,
    name: { kind: Kind.NAME, value: name },
    ...(alias ? { alias: { kind: Kind.NAME, value: alias } } : {}),
    ...(children ? { selectionSet: { kind: Kind.SELECTION_SET, selections: children } } : {}),
  };
}

/** The response keys under which a field of the root object appears, through fragments. */
function responseKeys(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, name: string, seen = new Set<string>()): string[] {
  const keys: string[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === name) keys.push(selection.alias?.value ?? name);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      keys.push(...responseKeys(selection.selectionSet, fragments, name, seen));
    } else if (!seen.has(selection.name.value)) {
      const fragment = fragments.get(selection.name.value);
      if (fragment) keys.push(...responseKeys(fragment.selectionSet, fragments, name, new Set([...seen, selection.name.value])));
    }
  }
  return [...new Set(keys)];
}

function usedVariables(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>): Set<string> {
  const used = new Set<string>();
  const nodes = [selectionSet, ...[...fragments.values()].filter((fragment) => usesFragment(selectionSet, fragments, fragment.name.value))];
  for (const node of nodes) visit(node, { Variable: (variable) => void used.add(variable.name.value) });
  return used;
}

function usesFragment(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, name: string, seen = new Set<string>()): boolean {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      if (selection.name.value === name) return true;
      const fragment = fragments.get(selection.name.value);
      if (fragment && !seen.has(fragment.name.value) && usesFragment(fragment.selectionSet, fragments, name, new Set([...seen, fragment.name.value])))
        return true;
    } else if (selection.selectionSet && usesFragment(selection.selectionSet, fragments, name, seen)) {
      return true;
    }
  }
  return false;
}

// ------------------------------------------------------------------ pinning a message to its change

/** Where the change a notice reports stands in the entity's history; -1 when it is not there. */
export function changeIndex(history: readonly HistoryEntry[], change: HistoryEntry): number {
  const at = new Date(change.at).getTime();
  return history.findIndex((entry) => entry.status === change.status && new Date(entry.at).getTime() === at);
}

/**
 * The entity as it was at the change: its pinned fields set to `values`, and (for a topic with a
 * history) its history up to entry `index` (later entries, such as a step that has happened since,
 * belong to later messages).
 */
export function pin(entity: Record<string, unknown>, plan: LivePlan, values: Record<string, unknown>, index?: number): Record<string, unknown> {
  const pinned: Record<string, unknown> = { ...entity };
  delete pinned[HISTORY_KEY];
  for (const [name, value] of Object.entries(values)) for (const key of plan.keys[name] ?? []) if (key in pinned) pinned[key] = value;
  const history = plan.topic.history;
  if (history && index !== undefined && index >= 0) {
    for (const key of plan.keys[history.field] ?? []) {
      const list = pinned[key];
      if (Array.isArray(list)) pinned[key] = list.slice(0, index + 1);
    }
  }
  return pinned;
}

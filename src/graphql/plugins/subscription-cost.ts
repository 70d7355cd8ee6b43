// What a live subscription may cost. Its document is executed again for every event it receives,
// so a cheap-looking document with nested lists (a tenant's connections, each with its preview)
// multiplies into seconds of API work per start across a user's subscriptions. A subscription's
// cost counts the fields it selects, a list field's selection ten times (it resolves per item);
// one document may cost at most SUBSCRIPTION_MAX_COST (else GRAPHQL_VALIDATION_FAILED before it
// starts) and the subscriptions a user holds open on this API process at most
// SUBSCRIPTION_COST_BUDGET_PER_USER together (else RATE_LIMITED, like the other per-user bounds).
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  GraphQLError,
  getNamedType,
  getNullableType,
  getOperationAST,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql';

/** How many items a list field is counted for: its selection resolves once per item. */
const LIST_FACTOR = 10;

/** The cost of the subscription operation in `document`, or 0 when it is not a subscription. */
export function subscriptionCost(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): number {
  const operation = getOperationAST(document, operationName ?? undefined);
  const root = schema.getSubscriptionType();
  if (operation?.operation !== 'subscription' || !root) return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);

  const cost = (set: SelectionSetNode, parent: GraphQLCompositeType, seen: ReadonlySet<string>): number => {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const field = fieldOf(parent, selection.name.value);
        if (!field) continue; // __typename, or a field validation reports
        total += 1;
        if (!selection.selectionSet) continue;
        const named = getNamedType(field.type);
        if (!isCompositeType(named)) continue;
        const factor = isListType(getNullableType(field.type)) ? LIST_FACTOR : 1;
        total += factor * cost(selection.selectionSet, named, seen);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (on && isCompositeType(on)) total += cost(selection.selectionSet, on, seen);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || seen.has(fragment.name.value)) continue; // a cycle is validation's to report
        const on = schema.getType(fragment.typeCondition.name.value);
        if (on && isCompositeType(on))
          total += cost(fragment.selectionSet, on, new Set([...seen, fragment.name.value]));
      }
    }
    return total;
  };
  return cost(operation.selectionSet, root, new Set());
}

function fieldOf(parent: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  return isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
}

export const subscriptionTooCostly = (cost: number, max: number) =>
  new GraphQLError(
    `Subscription too costly: its selection costs ${cost} (limit ${max}); it runs again for every event, so select fewer nested lists and query the rest when an event arrives.`,
    { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', cost, limit: max } },
  );

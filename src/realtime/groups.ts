// Subscription groups (docs/behaviour.md#realtime-subscriptions): graphql-ws subscriptions with the
// same document, the same variables and the same visibility class share one execution per event.
// The class is everything the resolvers consult about a viewer besides who it is: its role in each
// workspace. On an event the group executes once with a context whose viewer has those roles and no
// identity, serializes once, and writes the same payload to every member's socket (a graphql-ws
// `next` frame differs only by the subscription id). Memberships stay checked per event: a member
// whose roles are no longer the class's is served on its own (nothing at all once it lost the
// workspace) until it subscribes again.
//
// Isolation is proven, not assumed (test/integration/subscription-groups.test.ts): a document that
// selects a field marked viewer-specific is never grouped (`groupable`), and a resolver that reads
// the class viewer's identity anyway is caught at run time: that result is thrown away and the
// group serves each member on its own from then on.
import {
  type DocumentNode,
  execute,
  type GraphQLSchema,
  type OperationDefinitionNode,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  Kind,
  type ExecutionResult,
  type FieldNode,
  type GraphQLError,
  getArgumentValues,
  getOperationAST,
  getVariableValues,
} from 'graphql';
import type { Viewer } from '../auth/viewer.js';
import { unauthenticated } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RunEvent } from '../runs/events.js';
import type { OperationRun } from '../generated/prisma/client.js';
import { inFilter, runFilter, type RunStreamFilter } from './run-stream.js';
import { subscriptionAck } from '../graphql/plugins/subscription-ack.js';
import { probeSubscriptions } from './subscription-readiness.js';

/** Where a graphql-ws subscription's frames go: its socket and its id (server.ts puts it on the context). */
export type Delivery = {
  socket: { send(data: string): void; readonly readyState: number };
  id: string;
};

/** The field extension that marks a field whose answer depends on who asks, not only on roles. */
export const VIEWER_SPECIFIC = 'viewerSpecific';

const GROUPED_FIELD = 'operationRunUpdated';

/**
 * Whether a subscription document may be grouped: one root field, operationRunUpdated, without
 * `after` (a resume replays for its subscriber alone), and no field marked viewer-specific
 * anywhere in its selection (fragments included).
 */
export function groupable(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): boolean {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (operation?.operation !== 'subscription') return false;
  const roots = operation.selectionSet.selections;
  if (roots.length !== 1 || roots[0].kind !== Kind.FIELD || roots[0].name.value !== GROUPED_FIELD) return false;
  if (roots[0].arguments?.some((a) => a.name.value === 'after')) return false;
  let ok = true;
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field() {
        const field = typeInfo.getFieldDef();
        if (!field || field.extensions?.[VIEWER_SPECIFIC] === true) ok = false;
      },
      Directive() {
        ok = false; // @include/@skip on variables are fine, but nothing else is worth the doubt
      },
    }),
  );
  return ok;
}

type Resolved = Viewer | null;
type Members = { current(userId: string): Promise<Resolved> };
type Listen = (workspaceIds: readonly string[], onEvent: (event: RunEvent) => void) => () => void;
type Context = (viewer: Viewer) => object;
type MaskError = (error: unknown, message: string) => Error;
/** The workspaces a subscription listens on (RunStreams.workspacesOf); throws when it may see nothing it asked for. */
type Scope = (viewer: Viewer, filter: RunStreamFilter) => Promise<string[]>;
/** The per-user subscription quota (SubscriptionQuota): a hold to release when the subscription ends, or the refusal. */
type Quota = {
  admit(
    userId: string,
    schema: GraphQLSchema,
    document: DocumentNode,
    operationName?: string | null,
  ): { release(): void } | Error;
};
/** What groups report (atlas_subscription_group_* metrics): each shared execution's seconds, frames written. */
export type GroupObserver = { execution(seconds: number): void; frames(count: number): void };
const UNOBSERVED: GroupObserver = { execution: () => undefined, frames: () => undefined };

/** A viewer's roles as one string: members with equal strings are in the same class. */
const classKeyCache = new WeakMap<Viewer, string>();
function classKeyOf(viewer: Viewer): string {
  let key = classKeyCache.get(viewer);
  if (key === undefined) {
    key = [...viewer.roles]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([w, r]) => `${w}:${r}`)
      .join(',');
    classKeyCache.set(viewer, key);
  }
  return key;
}

/** The canonical form of variables: key order does not make two groups. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

const DONE = { done: true, value: undefined } as const;
const yes = () => true;
const no = () => false;

/**
 * One grouped subscription: its socket and id, its user, and what graphql-ws iterates. Kept as
 * small as it can be (tens of thousands per process): plain fields, no closures of its own. The
 * stream yields the acknowledgement when asked for (once the group listens) and nothing else (the
 * group writes the frames); it ends when the client completes, or with the error that revokes it.
 */
class Member implements AsyncIterableIterator<ExecutionResult> {
  private armed = false;
  private waiting: string[] | null = null;
  private settle!: (error?: Error) => void;
  private readonly left: Promise<void>;
  private pulled = false;
  private gone = false;
  /** Everything of this member's `next` frame before the payload. */
  private readonly prefix: string;
  constructor(
    readonly delivery: Delivery,
    readonly userId: string,
    private readonly group: Group,
    private readonly ack: boolean,
    private readonly release: () => void,
  ) {
    this.prefix = `{"id":${JSON.stringify(delivery.id)},"type":"next","payload":`;
    this.left = new Promise<void>((resolve, reject) => {
      this.settle = (error) => (error ? reject(error) : resolve());
    });
    this.left.catch(() => undefined);
  }
  /**
   * `tail`: the payload and the frame's closing brace, serialized once per event for every member.
   * The frame stays a string: the socket encodes it on write, as a raw `ws` broadcast does (a Buffer
   * per member cost a pooled allocation each and measurably more GC at 10,000 members).
   */
  write(tail: string) {
    const frame = this.prefix + tail;
    if (!this.armed) return void (this.waiting ??= []).push(frame);
    if (this.delivery.socket.readyState === 1) this.delivery.socket.send(frame);
  }
  private arm() {
    this.armed = true;
    for (const frame of this.waiting ?? []) if (this.delivery.socket.readyState === 1) this.delivery.socket.send(frame);
    this.waiting = null;
  }
  end(error?: Error) {
    this.settle(error);
  }

  [Symbol.asyncIterator]() {
    return this;
  }
  async next(): Promise<IteratorResult<ExecutionResult>> {
    try {
      if (!this.pulled) {
        this.pulled = true;
        const { live } = this.group;
        // Frames start once the acknowledgement (sent when the group is live) has gone out.
        void live.then(
          () => setImmediate(() => this.arm()),
          () => undefined,
        );
        // The acknowledgement, unless the member leaves (completes, or is revoked) first.
        if (this.ack && (await Promise.race([live.then(yes), this.left.then(no, no)])))
          return { done: false, value: subscriptionAck() };
      }
      await this.left;
    } catch (err) {
      this.leave();
      throw err;
    }
    this.leave();
    return DONE;
  }
  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.end();
    this.leave();
    return DONE;
  }
  async throw(err?: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.end();
    this.leave();
    throw err;
  }
  private leave() {
    if (this.gone) return;
    this.gone = true;
    this.release();
    this.group.remove(this);
  }
}

class Group {
  readonly members = new Set<Member>();
  private readonly byUser = new Map<string, Set<Member>>();
  /** Set once a resolver read the class viewer's identity: every member is served on its own. */
  perMember = false;
  private tail: Promise<void> = Promise.resolve();
  readonly live: Promise<void>;
  private readonly unlisten: () => void;
  executions = 0;

  constructor(
    readonly key: string,
    private readonly shared: SubscriptionGroups,
    readonly classViewer: Viewer,
    private readonly classKey: string,
    readonly filter: RunStreamFilter,
    private readonly document: DocumentNode,
    private readonly variables: Record<string, unknown>,
    workspaces: readonly string[],
  ) {
    const { started, live } = probeSubscriptions(() => shared.listen(workspaces, (event) => this.enqueue(event)));
    this.unlisten = started;
    this.live = live;
  }

  close() {
    this.unlisten();
  }

  private enqueue(event: RunEvent) {
    if (!inFilter(this.filter, event.run)) return;
    this.tail = this.tail
      .then(() => this.deliver(event))
      .catch((err) => this.shared.log.error({ err }, 'group delivery failed'));
  }

  private async deliver(event: RunEvent): Promise<void> {
    if (this.members.size === 0) return;
    // Memberships as they are now, once per distinct user (members are kept by user).
    const inClass: Member[][] = [];
    const alone: [Member, Viewer][] = [];
    for (const [userId, members] of this.byUser) {
      const viewer = await this.shared.members.current(userId);
      if (!viewer) {
        for (const m of members) m.end(unauthenticated());
        continue;
      }
      if (!viewer.roles.has(event.workspaceId)) continue; // no longer sees this workspace
      if (!this.perMember && classKeyOf(viewer) === this.classKey) inClass.push([...members]);
      else for (const m of members) alone.push([m, viewer]);
    }
    if (inClass.length) {
      const touched = { identity: false };
      // The execution's own time: resolvers that answer from the event (most) make it synchronous.
      const started = performance.now();
      const answer = this.run(event.run, identityless(this.classViewer, touched));
      const json = typeof answer === 'string' ? answer : await answer;
      this.shared.observer.execution((performance.now() - started) / 1000);
      if (touched.identity) {
        this.shared.log.warn(
          { group: this.key },
          'a resolver read the viewer identity: this group is served per member',
        );
        this.perMember = true;
        for (const members of inClass)
          for (const m of members) alone.push([m, (await this.shared.members.current(m.userId))!]);
      } else {
        this.executions++;
        const tail = `${json}}`;
        let frames = 0;
        for (const members of inClass)
          for (const m of members) {
            m.write(tail);
            frames++;
          }
        this.shared.observer.frames(frames);
      }
    }
    for (const [m, viewer] of alone) if (viewer) m.write(`${await this.run(event.run, viewer)}}`);
  }

  add(member: Member) {
    this.members.add(member);
    let own = this.byUser.get(member.userId);
    if (!own) this.byUser.set(member.userId, (own = new Set()));
    own.add(member);
  }

  remove(member: Member) {
    this.members.delete(member);
    const own = this.byUser.get(member.userId);
    own?.delete(member);
    if (own?.size === 0) this.byUser.delete(member.userId);
    if (this.members.size === 0) this.shared.retire(this);
  }

  /** The document executed for one viewer and serialized; synchronous when every resolver is. */
  private run(run: OperationRun, viewer: Viewer): string | Promise<string> {
    const result = execute({
      schema: this.shared.schema,
      document: this.document,
      rootValue: run,
      contextValue: this.shared.context(viewer),
      variableValues: this.variables,
    });
    return isPromise(result) ? result.then((r) => this.serialize(r)) : this.serialize(result);
  }

  private serialize(result: ExecutionResult): string {
    if (result.errors)
      (result as { errors: readonly GraphQLError[] }).errors = result.errors.map(
        (e) => this.shared.maskError(e, 'Unexpected error.') as GraphQLError,
      );
    return JSON.stringify(result);
  }
}

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> =>
  typeof (value as Promise<T> | null)?.then === 'function';

/** The operation as a document of its own, with the fragments it may spread. */
const documentOf = (document: DocumentNode, operation: OperationDefinitionNode): DocumentNode => ({
  kind: Kind.DOCUMENT,
  definitions: [operation, ...document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)],
});

/** A viewer with the class's roles and no identity: reading `userId` is noted (and answers nothing useful). */
function identityless(classViewer: Viewer, touched: { identity: boolean }): Viewer {
  return {
    get userId(): string {
      touched.identity = true;
      return '00000000-0000-0000-0000-000000000000';
    },
    roles: classViewer.roles,
  };
}

/** What the groups are built from (server.ts wires the API process's own). */
export type GroupsDeps = {
  schema: GraphQLSchema;
  members: Members;
  listen: Listen;
  scope: Scope;
  quota: Quota;
  context: Context;
  maskError: MaskError;
  log: Logger;
  observer?: GroupObserver;
};

/** A graphql-ws subscribe request, parsed and validated, with its subscriber. */
export type GroupRequest = {
  viewer: Viewer;
  delivery: Delivery;
  document: DocumentNode;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
  /** The document's text, as sent: with the operation name, what a group's document is recognised by. */
  queryText: string;
  /** Whether the subscriber asked for `extensions.subscriptionAck`. */
  ack: boolean;
};

export class SubscriptionGroups {
  private readonly groups = new Map<string, Group>();
  readonly schema: GraphQLSchema;
  readonly members: Members;
  readonly listen: Listen;
  readonly context: Context;
  readonly maskError: MaskError;
  readonly log: Logger;
  readonly observer: GroupObserver;
  private readonly scope: Scope;
  private readonly quota: Quota;

  constructor(deps: GroupsDeps) {
    this.schema = deps.schema;
    this.members = deps.members;
    this.listen = deps.listen;
    this.scope = deps.scope;
    this.quota = deps.quota;
    this.context = deps.context;
    this.maskError = deps.maskError;
    this.log = deps.log;
    this.observer = deps.observer ?? UNOBSERVED;
  }

  private readonly verdicts = new Map<string, boolean>();

  /** Whether this subscription operation may be grouped (remembered per operation and document text, a bounded few). */
  private accepts(document: DocumentNode, operationName: string | null | undefined, queryText: string): boolean {
    const key = `${operationName ?? ''}\u0000${queryText}`;
    let verdict = this.verdicts.get(key);
    if (verdict === undefined) {
      verdict = groupable(this.schema, document, operationName);
      if (this.verdicts.size >= 1_000) this.verdicts.clear();
      this.verdicts.set(key, verdict);
    }
    return verdict;
  }

  /** Groups and members, for the tests and metrics. */
  stats() {
    let members = 0;
    for (const g of this.groups.values()) members += g.members.size;
    return {
      groups: this.groups.size,
      members,
      executions: [...this.groups.values()].reduce((n, g) => n + g.executions, 0),
    };
  }

  /**
   * The subscription as a member of its group, or null when it is not one for a group: the
   * document is not groupable, or anything about the request is wrong (variables, arguments, a
   * tenant or run it may not see, the quota). The caller then subscribes it the ordinary way,
   * through Yoga's envelop, which answers every such error exactly as it always does.
   *
   * A member is nothing but its socket, its id and its user: no context, no execution state of its
   * own (that is what lets one process hold tens of thousands). The returned stream yields the
   * acknowledgement when asked for (once the group is listening) and nothing else: the group writes
   * the frames. It ends when the client completes, or when the member is revoked (with the error).
   */
  async subscribe(request: GroupRequest): Promise<AsyncIterableIterator<ExecutionResult> | null> {
    const { viewer, document, operationName, queryText } = request;
    if (!this.accepts(document, operationName, queryText)) return null;
    const operation = getOperationAST(document, operationName);
    const fieldDef = this.schema.getSubscriptionType()?.getFields()[GROUPED_FIELD];
    if (!operation || !fieldDef) return null;
    const coerced = getVariableValues(this.schema, operation.variableDefinitions ?? [], request.variables ?? {});
    if (coerced.errors) return null;
    let filter: RunStreamFilter;
    try {
      filter = runFilter(
        getArgumentValues(fieldDef, operation.selectionSet.selections[0] as FieldNode, coerced.coerced),
      );
    } catch {
      return null;
    }
    const workspaces = await this.scope(viewer, filter).catch(() => [] as string[]);
    if (workspaces.length === 0) return null;
    const hold = this.quota.admit(viewer.userId, this.schema, document, operationName);
    if (hold instanceof Error) return null;
    return this.join(request, documentOf(document, operation), coerced.coerced, filter, workspaces, hold.release);
  }

  private join(
    request: GroupRequest,
    document: DocumentNode,
    variables: Record<string, unknown>,
    filter: RunStreamFilter,
    workspaces: readonly string[],
    release: () => void,
  ): AsyncIterableIterator<ExecutionResult> {
    const { viewer, delivery, operationName, queryText, ack } = request;
    const classKey = classKeyOf(viewer);
    const key = `${queryText}\u0000${operationName ?? ''}\u0000${canonical(variables)}\u0000${classKey}`;
    let group = this.groups.get(key);
    if (!group) {
      group = new Group(
        key,
        this,
        { userId: viewer.userId, roles: viewer.roles },
        classKey,
        filter,
        document,
        variables,
        workspaces,
      );
      this.groups.set(key, group);
    }
    const member = new Member(delivery, viewer.userId, group, ack, release);
    group.add(member);
    return member;
  }

  /** A group whose last member left: it stops listening (a later subscriber starts a new one). */
  retire(group: Group) {
    if (this.groups.get(group.key) !== group) return;
    this.groups.delete(group.key);
    group.close();
  }
}

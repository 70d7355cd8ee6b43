// The GraphQL documents the tests send, typed by codegen (`npm run codegen`).
import { graphql } from '../generated/gql.js';

export const MeAndTenants = graphql(`
  query MeAndTenants {
    me { id email displayName }
    tenants { id name status providerConnections { id displayName enabled credentialState isDefault } restoreRuns { id status } }
  }
`);

export const TenantById = graphql(`
  query TenantById($id: ID!) {
    tenant(id: $id) { id name }
  }
`);

export const StartResultFields = graphql(`
  fragment StartResultFields on StartResult {
    __typename
    ... on StartOutcome { status message nextSteps { label action url } }
    ... on StartAccepted { runUrl run { id status type providerConnection { id } initiator { email } children { id type status step } } }
    ... on StartDeduped { runUrl run { id status type } }
    ... on StartScopeBusy { runUrl blockingRun { id status type } }
    ... on StartBlocked { reason { code message } run { id status type providerConnection { id } reason { code message nextSteps { action } } } }
  }
`);

export const StartDirectorySync = graphql(`
  mutation StartDirectorySync($tenantId: ID!, $kind: DirectorySyncKind! = GROUPS, $providerConnectionId: ID) {
    result: startDirectorySync(tenantId: $tenantId, kind: $kind, providerConnectionId: $providerConnectionId) {
      ...StartResultFields
    }
  }
`);

export const StartTenantVerification = graphql(`
  mutation StartTenantVerification($tenantId: ID!, $providerConnectionId: ID) {
    result: startTenantVerification(tenantId: $tenantId, providerConnectionId: $providerConnectionId) {
      ...StartResultFields
    }
  }
`);

export const StartRestore = graphql(`
  mutation StartRestore($restoreRunId: ID!, $providerConnectionId: ID) {
    result: startRestore(restoreRunId: $restoreRunId, providerConnectionId: $providerConnectionId) {
      ...StartResultFields
    }
  }
`);

export const StartConnectionCheck = graphql(`
  mutation StartConnectionCheck($providerConnectionId: ID!) {
    result: startProviderConnectionCheck(providerConnectionId: $providerConnectionId) {
      ...StartResultFields
    }
  }
`);

export const StartBootstrap = graphql(`
  mutation StartBootstrap($tenantId: ID!, $providerConnectionId: ID) {
    result: startOnboardingBootstrap(tenantId: $tenantId, providerConnectionId: $providerConnectionId) {
      ...StartResultFields
    }
  }
`);

export const StartOperation = graphql(`
  mutation StartOperation($type: OperationType!, $targetId: ID!, $providerConnectionId: ID) {
    result: startOperation(type: $type, targetId: $targetId, providerConnectionId: $providerConnectionId) {
      ...StartResultFields
    }
  }
`);

export const OperationRunById = graphql(`
  query OperationRunById($id: ID!) {
    operationRun(id: $id) {
      id type status url attempts
      tenant { id name }
      providerConnection { id }
      initiator { email }
      reason { code message nextSteps { label action url } }
      summary { total succeeded failed skipped }
      parent { id }
      children { id type status step reason { code message } }
      createdAt startedAt finishedAt
    }
  }
`);

export const OperationRuns = graphql(`
  query OperationRuns($filter: OperationRunFilter, $first: Int, $after: String) {
    operationRuns(filter: $filter, first: $first, after: $after) {
      edges { cursor node { id type status initiator { email } tenant { name } reason { code } } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`);

export const Notifications = graphql(`
  query Notifications($unreadOnly: Boolean) {
    notifications(unreadOnly: $unreadOnly) { id title body url readAt createdAt run { id status } }
  }
`);

export const MarkNotificationRead = graphql(`
  mutation MarkNotificationRead($id: ID!) {
    markNotificationRead(id: $id) { id readAt }
  }
`);

export const CancelRun = graphql(`
  mutation CancelRun($runId: ID!) {
    result: cancelOperationRun(runId: $runId) {
      __typename
      ... on CancelOutcome {
        message
        run { id type status cancelRequestedAt cancelledBy { email } startedAt finishedAt summary { total succeeded failed skipped } reason { code message } }
      }
    }
  }
`);

export const ScheduleFields = graphql(`
  fragment ScheduleFields on Schedule {
    id type cron timezone enabled nextRunAt lastFiredAt firings
    tenant { id name }
    providerConnection { id }
    createdBy { email }
    lastOutcome { status message at run { id status initiator { email } } }
    pausedReason { code message }
    pausedAt
  }
`);

export const CreateSchedule = graphql(`
  mutation CreateSchedule($input: CreateScheduleInput!) {
    schedule: createSchedule(input: $input) { ...ScheduleFields }
  }
`);

export const UpdateSchedule = graphql(`
  mutation UpdateSchedule($id: ID!, $input: UpdateScheduleInput!) {
    schedule: updateSchedule(id: $id, input: $input) { ...ScheduleFields }
  }
`);

export const DeleteSchedule = graphql(`
  mutation DeleteSchedule($id: ID!) {
    deleted: deleteSchedule(id: $id)
  }
`);

export const TenantSchedules = graphql(`
  query TenantSchedules($id: ID!) {
    tenant(id: $id) { schedules { ...ScheduleFields } }
  }
`);

export const ScheduledRuns = graphql(`
  query ScheduledRuns($scheduleId: ID!) {
    operationRuns(filter: { scheduleId: $scheduleId }, first: 100) {
      edges { node { id status type initiator { email } schedule { id } } }
    }
  }
`);

// ---- start previews and connection management (docs/behaviour.md#previews-and-provider-connections) ----

export const StartPreviewFields = graphql(`
  fragment StartPreviewFields on StartPreview {
    type label status message
    reason { code message }
    nextSteps { label action url }
    run { id status type }
    providerConnection { id enabled isDefault credentialState }
  }
`);

export const AllStartPreviews = graphql(`
  query AllStartPreviews {
    tenants { id name startPreviews { ...StartPreviewFields } }
  }
`);

export const TenantStartPreviews = graphql(`
  query TenantStartPreviews($id: ID!, $providerConnectionId: ID) {
    tenant(id: $id) { id startPreviews(providerConnectionId: $providerConnectionId) { ...StartPreviewFields } }
  }
`);

export const TargetPreviews = graphql(`
  query TargetPreviews($id: ID!) {
    tenant(id: $id) {
      restoreRuns {
        id
        startPreview { ...StartPreviewFields }
        startPreviews { ...StartPreviewFields }
      }
      providerConnections {
        id
        checkPreview { ...StartPreviewFields }
        startPreviews { ...StartPreviewFields }
      }
    }
  }
`);

export const StartPreviewsChanged = graphql(`
  subscription StartPreviewsChanged($tenantId: ID!) {
    startPreviewsChanged(tenantId: $tenantId) { ...StartPreviewFields }
  }
`);

export const SetConnectionEnabled = graphql(`
  mutation SetConnectionEnabled($providerConnectionId: ID!, $enabled: Boolean!) {
    connection: setProviderConnectionEnabled(providerConnectionId: $providerConnectionId, enabled: $enabled) {
      id enabled isDefault credentialState
    }
  }
`);

export const SetDefaultConnection = graphql(`
  mutation SetDefaultConnection($providerConnectionId: ID!) {
    connection: setDefaultProviderConnection(providerConnectionId: $providerConnectionId) { id enabled isDefault }
  }
`);

export const TenantCapabilities = graphql(`
  query TenantCapabilities($id: ID!) {
    operationTypes { type label verb schedulable target needsConnection startMutation }
    tenant(id: $id) { viewerRole viewerCanManageSchedules viewerCanManageConnections }
  }
`);

export const RunCapabilities = graphql(`
  query RunCapabilities($id: ID!) {
    operationRun(id: $id) { id status viewerCanCancel children { id viewerCanCancel } }
  }
`);

export const RunInitiatorMemberships = graphql(`
  query RunInitiatorMemberships($id: ID!) {
    operationRun(id: $id) {
      initiator {
        email
        memberships {
          role
          workspace {
            name
          }
        }
      }
    }
  }
`);

export const MyMemberships = graphql(`
  query MyMemberships {
    me {
      memberships {
        role
        workspace {
          name
        }
      }
    }
  }
`);

export const OperationRunStats = graphql(`
  query OperationRunStats($filter: OperationRunFilter, $since: DateTime, $bucket: StatsBucket) {
    operationRunStats(filter: $filter, since: $since, bucket: $bucket) {
      since until bucket
      buckets { start total counts { status count } }
      totals { status count }
      topReasons { status code message count }
      inFlight { type label count }
    }
  }
`);

export const StartOperations = graphql(`
  mutation StartOperations($type: OperationType!, $targetIds: [ID!]!) {
    results: startOperations(type: $type, targetIds: $targetIds) {
      ...StartResultFields
    }
  }
`);

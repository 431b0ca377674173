import type { ClaimId, MemberId, OrganizationId, PaymentRequestId } from './domain/ids';
import type { RemittanceInput } from './domain/remittance';
import { type ClockPort, systemClock } from './ports/clock.port';
import { type IdGeneratorPort, randomIds } from './ports/id-generator.port';
import { type LoggerPort, noopLogger } from './ports/logger.port';
import type { MessageSenderPort } from './ports/message-sender.port';
import type { GatewayEvent, PaymentGatewayPort } from './ports/payment-gateway.port';
import type { Page, StoragePort } from './ports/storage.port';
import { cancelRequest, deleteRequest } from './use-cases/cancel-and-refund';
import {
  type Context,
  DEFAULT_OPTIONS,
  type MemberPaymentsOptions,
  type StatusChange,
} from './use-cases/context';
import { applyGatewayEvent, handleWebhook } from './use-cases/gateway-events';
import type { MoneyInput } from './use-cases/inputs';
import {
  type CreateClaimInput,
  type CreateMemberInput,
  createClaim,
  createMember,
  getClaim,
  getMember,
  recordVisitPayment,
  type UpdateMemberInput,
  updateMember,
} from './use-cases/members-and-claims';
import {
  type CreateOrganizationInput,
  configureOrganization,
  createOrganization,
  getOrganization,
  type OnboardingInput,
  refreshPayoutAccount,
  type SettingsPatch,
  startPayoutOnboarding,
} from './use-cases/organizations';
import { type RunBatchOptions, runBatch } from './use-cases/overnight-batch';
import {
  approveHeldRequest,
  auditTrail,
  type CreateRequestInput,
  createRequest,
  type EditRequestInput,
  editDraft,
  getRequest,
  type ListRequestsQuery,
  listRequests,
  retryFailedRequest,
} from './use-cases/payment-requests';
import { type IngestOptions, ingestRemittance } from './use-cases/remittance-ingestion';
import { tick } from './use-cases/scheduler';

export interface MemberPaymentsDependencies {
  readonly storage: StoragePort;
  readonly gateway: PaymentGatewayPort;
  /** Where texts go when an organization's call center is on; without it texts are not sent. */
  readonly messages?: MessageSenderPort;
  readonly clock?: ClockPort;
  readonly ids?: IdGeneratorPort;
  /** Defaults to a logger that says nothing. */
  readonly logger?: LoggerPort;
  readonly options?: Partial<MemberPaymentsOptions>;
  /** Called after every committed status change of a request. */
  readonly onStatusChange?: (change: StatusChange) => void;
}

/**
 * Wires the SDK once: storage, gateway, message sender, clock, ids and logger. Every use case
 * acts for one organization, named by its first argument; another organization's member,
 * claim or request is "not found".
 */
export function createMemberPayments(dependencies: MemberPaymentsDependencies) {
  const context: Context = {
    storage: dependencies.storage,
    gateway: dependencies.gateway,
    messages: dependencies.messages ?? null,
    clock: dependencies.clock ?? systemClock,
    ids: dependencies.ids ?? randomIds,
    logger: dependencies.logger ?? noopLogger,
    options: { ...DEFAULT_OPTIONS, ...dependencies.options },
    onStatusChange: dependencies.onStatusChange ?? (() => undefined),
  };

  return {
    organizations: {
      create: (input: CreateOrganizationInput) => createOrganization(context, input),
      get: (organizationId: OrganizationId) => getOrganization(context, organizationId),
      configure: (organizationId: OrganizationId, settings: SettingsPatch) =>
        configureOrganization(context, organizationId, settings),
      startPayoutOnboarding: (organizationId: OrganizationId, input: OnboardingInput) =>
        startPayoutOnboarding(context, organizationId, input),
      refreshPayoutAccount: (organizationId: OrganizationId) =>
        refreshPayoutAccount(context, organizationId),
    },
    members: {
      create: (organizationId: OrganizationId, input: CreateMemberInput) =>
        createMember(context, organizationId, input),
      get: (organizationId: OrganizationId, memberId: MemberId) =>
        getMember(context, organizationId, memberId),
      update: (organizationId: OrganizationId, memberId: MemberId, patch: UpdateMemberInput) =>
        updateMember(context, organizationId, memberId, patch),
    },
    claims: {
      create: (organizationId: OrganizationId, input: CreateClaimInput) =>
        createClaim(context, organizationId, input),
      get: (organizationId: OrganizationId, claimId: ClaimId) =>
        getClaim(context, organizationId, claimId),
      recordVisitPayment: (organizationId: OrganizationId, claimId: ClaimId, amount: MoneyInput) =>
        recordVisitPayment(context, organizationId, claimId, amount),
    },
    requests: {
      create: (organizationId: OrganizationId, input: CreateRequestInput) =>
        createRequest(context, organizationId, input),
      get: (organizationId: OrganizationId, requestId: PaymentRequestId) =>
        getRequest(context, organizationId, requestId),
      list: (organizationId: OrganizationId, query?: ListRequestsQuery, page?: Page) =>
        listRequests(context, organizationId, query, page),
      edit: (
        organizationId: OrganizationId,
        requestId: PaymentRequestId,
        input: EditRequestInput,
      ) => editDraft(context, organizationId, requestId, input),
      approve: (organizationId: OrganizationId, requestId: PaymentRequestId, by: string) =>
        approveHeldRequest(context, organizationId, requestId, by),
      retry: (organizationId: OrganizationId, requestId: PaymentRequestId, by: string) =>
        retryFailedRequest(context, organizationId, requestId, by),
      cancel: (organizationId: OrganizationId, requestId: PaymentRequestId, by: string) =>
        cancelRequest(context, organizationId, requestId, by),
      delete: (organizationId: OrganizationId, requestId: PaymentRequestId, by: string) =>
        deleteRequest(context, organizationId, requestId, by),
      auditTrail: (organizationId: OrganizationId, requestId: PaymentRequestId) =>
        auditTrail(context, organizationId, requestId),
    },
    remittances: {
      ingest: (
        organizationId: OrganizationId,
        remittance: RemittanceInput,
        options?: IngestOptions,
      ) => ingestRemittance(context, organizationId, remittance, options),
    },
    batch: {
      /** Call from a scheduler every few minutes; see `tick`. */
      tick: (options?: Parameters<typeof tick>[1]) => tick(context, options),
      /** Runs one organization's batch now, by hand; drafts created until now go out. */
      runNow: (organizationId: OrganizationId, options?: RunBatchOptions) =>
        runBatch(context, organizationId, options),
    },
    webhooks: {
      /** Verify and apply a webhook: pass the raw body exactly as received. */
      handle: (input: { readonly rawBody: string | Uint8Array; readonly signature: string }) =>
        handleWebhook(context, input),
      /** Apply an event verified elsewhere. */
      apply: (event: GatewayEvent) => applyGatewayEvent(context, event),
    },
  };
}

export type MemberPayments = ReturnType<typeof createMemberPayments>;

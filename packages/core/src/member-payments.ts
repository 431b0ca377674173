import { asId } from './domain/ids';
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
  findClaimByPatientControlNumber,
  findMemberByExternalId,
  getClaim,
  getMember,
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
import { recordVisitPayment } from './use-cases/visit-payments';

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
      get: (organizationId: string) => getOrganization(context, asId(organizationId)),
      configure: (organizationId: string, settings: SettingsPatch) =>
        configureOrganization(context, asId(organizationId), settings),
      startPayoutOnboarding: (organizationId: string, input: OnboardingInput) =>
        startPayoutOnboarding(context, asId(organizationId), input),
      refreshPayoutAccount: (organizationId: string) =>
        refreshPayoutAccount(context, asId(organizationId)),
    },
    members: {
      create: (organizationId: string, input: CreateMemberInput) =>
        createMember(context, asId(organizationId), input),
      get: (organizationId: string, memberId: string) =>
        getMember(context, asId(organizationId), asId(memberId)),
      update: (organizationId: string, memberId: string, patch: UpdateMemberInput) =>
        updateMember(context, asId(organizationId), asId(memberId), patch),
      findByExternalId: (organizationId: string, externalId: string) =>
        findMemberByExternalId(context, asId(organizationId), externalId),
    },
    claims: {
      create: (organizationId: string, input: CreateClaimInput) =>
        createClaim(context, asId(organizationId), input),
      get: (organizationId: string, claimId: string) =>
        getClaim(context, asId(organizationId), asId(claimId)),
      findByPatientControlNumber: (organizationId: string, patientControlNumber: string) =>
        findClaimByPatientControlNumber(context, asId(organizationId), patientControlNumber),
      recordVisitPayment: (organizationId: string, claimId: string, amount: MoneyInput) =>
        recordVisitPayment(context, asId(organizationId), asId(claimId), amount),
    },
    requests: {
      create: (organizationId: string, input: CreateRequestInput) =>
        createRequest(context, asId(organizationId), input),
      get: (organizationId: string, requestId: string) =>
        getRequest(context, asId(organizationId), asId(requestId)),
      list: (organizationId: string, query?: ListRequestsQuery, page?: Page) =>
        listRequests(context, asId(organizationId), query, page),
      edit: (organizationId: string, requestId: string, input: EditRequestInput) =>
        editDraft(context, asId(organizationId), asId(requestId), input),
      approve: (organizationId: string, requestId: string, by: string) =>
        approveHeldRequest(context, asId(organizationId), asId(requestId), by),
      retry: (organizationId: string, requestId: string, by: string) =>
        retryFailedRequest(context, asId(organizationId), asId(requestId), by),
      cancel: (organizationId: string, requestId: string, by: string) =>
        cancelRequest(context, asId(organizationId), asId(requestId), by),
      delete: (organizationId: string, requestId: string, by: string) =>
        deleteRequest(context, asId(organizationId), asId(requestId), by),
      auditTrail: (organizationId: string, requestId: string) =>
        auditTrail(context, asId(organizationId), asId(requestId)),
    },
    remittances: {
      ingest: (
        organizationId: string,
        remittance: RemittanceInput,
        options?: IngestOptions | null,
      ) => ingestRemittance(context, asId(organizationId), remittance, options),
    },
    batch: {
      /** Call from a scheduler every few minutes; see `tick`. */
      tick: (options?: Parameters<typeof tick>[1]) => tick(context, options),
      /** Runs one organization's batch now, by hand; drafts created until now go out. */
      runNow: (organizationId: string, options?: RunBatchOptions) =>
        runBatch(context, asId(organizationId), options),
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

export {
  type Actor,
  type AuditAction,
  type AuditEntry,
  describeActor,
  type NewAuditEntry,
} from './domain/audit';
export type { Claim } from './domain/claim';
export {
  DomainError,
  type ErrorCode,
} from './domain/errors';
export {
  type AuditEntryId,
  asId,
  type BatchRunId,
  type ClaimId,
  type ClaimPaymentId,
  type Id,
  type MemberId,
  type OrganizationId,
  type PaymentRequestId,
  type RemittanceId,
} from './domain/ids';
export {
  addLocalDays,
  asLocalDate,
  isLocalDate,
  isValidTimeZone,
  type LocalDate,
  localDateAt,
  localMinuteOfDay,
  zonedInstant,
} from './domain/local-date';
export {
  canReceiveText,
  customerIsStale,
  type GatewayCustomer,
  type Member,
} from './domain/member';
export {
  add,
  CURRENCIES,
  type Currency,
  checkChargeable,
  compare,
  formatMoney,
  isCurrency,
  isPositive,
  isZero,
  type Money,
  maxMoney,
  minMoney,
  money,
  parseMoney,
  subtract,
  sum,
  toDecimalString,
  zero,
} from './domain/money';
export {
  canCharge,
  DEFAULT_SETTINGS,
  NO_PAYOUT_ACCOUNT,
  type Organization,
  type OrganizationSettings,
  type PayoutAccount,
  type PayoutAccountFacts,
  type PayoutAccountState,
  payoutAccountFrom,
  payoutAccountState,
} from './domain/organization';
export {
  amountRemaining,
  type GatewayLink,
  type Hold,
  type HoldCode,
  NO_GATEWAY_LINK,
  PAYMENT_REQUEST_STATUSES,
  type PaymentRequest,
  type PaymentRequestStatus,
  type RefundPurpose,
  type RequestRefund,
  type RequestSource,
  refundableAmount,
  type SendAttempt,
  type TextDelivery,
} from './domain/payment-request';
export type {
  ClaimPaymentInput,
  ClaimPaymentOutcome,
  ClaimPaymentRecord,
  PatientResponsibilityInput,
  RemittanceInput,
  RemittanceRecord,
} from './domain/remittance';
export {
  CLAIM_STATUS,
  claimPaymentKey,
  type DecisionInput,
  decide,
  type Pairing,
  pairClaimPayments,
  patientResponsibility,
  type RemittanceDecision,
} from './domain/remittance-rules';
export {
  auditEntry,
  canMove,
  FINAL_STATUSES,
  TRANSITIONS,
  type TransitionContext,
  type Transitioned,
  transition,
} from './domain/status-machine';
export {
  createMemberPayments,
  type MemberPayments,
  type MemberPaymentsDependencies,
} from './member-payments';
export {
  type ClockPort,
  systemClock,
} from './ports/clock.port';
export {
  type IdGeneratorPort,
  randomIds,
} from './ports/id-generator.port';
export {
  type LogFields,
  type LoggerPort,
  noopLogger,
} from './ports/logger.port';
export type {
  MessageError,
  MessageErrorKind,
  MessageSenderPort,
  TextMessage,
} from './ports/message-sender.port';
export {
  GatewayError,
  type GatewayErrorKind,
  type GatewayEvent,
  type GatewayInvoice,
  type GatewayInvoiceStatus,
  type GatewayRefund,
  type GatewayRefundStatus,
  type InvoiceEventType,
  type InvoiceSpec,
  type InvoiceTags,
  type PaymentGatewayPort,
  RETRYABLE_GATEWAY_ERRORS,
  WebhookError,
} from './ports/payment-gateway.port';
export {
  type AppliedGatewayEvent,
  type AuditRepositoryPort,
  type BatchRun,
  type BatchRunRepositoryPort,
  type ClaimableQuery,
  type ClaimRepositoryPort,
  type GatewayEventRepositoryPort,
  type MemberRepositoryPort,
  type OrganizationRepositoryPort,
  type Page,
  type PaymentRequestFilter,
  type PaymentRequestRepositoryPort,
  type RemittanceRepositoryPort,
  StorageError,
  type StorageErrorKind,
  type StoragePort,
  storageFailure,
  type UnitOfWork,
} from './ports/storage.port';
export type { MemberPaymentsOptions, StatusChange } from './use-cases/context';
export type { WebhookOutcome } from './use-cases/gateway-events';
export type { MoneyInput } from './use-cases/inputs';
export type {
  CreateClaimInput,
  CreateMemberInput,
  UpdateMemberInput,
} from './use-cases/members-and-claims';
export type {
  CreateOrganizationInput,
  OnboardingInput,
  SettingsPatch,
} from './use-cases/organizations';
export type { BatchProgress, BatchReport, RunBatchOptions } from './use-cases/overnight-batch';
export { dueDateFor } from './use-cases/overnight-batch';
export type {
  CreateRequestInput,
  EditRequestInput,
  ListRequestsQuery,
} from './use-cases/payment-requests';
export type { IngestOptions, IngestReport } from './use-cases/remittance-ingestion';
export type { TickReport } from './use-cases/scheduler';
export { scheduledInstant } from './use-cases/scheduler';
export { nextTextWindow } from './use-cases/text-delivery';

export { FakePaymentGateway } from './fake-payment-gateway';
export {
  ACTIVE_PAYOUT_ACCOUNT,
  aClaim,
  aClaimPayment,
  aClaimPaymentInput,
  aMember,
  anAuditEntry,
  anOrganization,
  aPaymentRequest,
  aRemittance,
  aRemittanceInput,
  aReversalInput,
  T0,
} from './fixtures';
export {
  describePaymentGatewayContract,
  type PaymentGatewayHarness,
  type SignedWebhook,
} from './payment-gateway.contract';
export {
  describeStorageContract,
  type StorageContractOptions,
  type StorageHarness,
} from './storage.contract';
export {
  type LogLine,
  ManualClock,
  RecordingLogger,
  RecordingMessageSender,
  SequentialIds,
} from './test-doubles';

export {
  type RemittanceMappingError,
  toClaimPaymentInput,
  toRemittanceInput,
} from './remittance';

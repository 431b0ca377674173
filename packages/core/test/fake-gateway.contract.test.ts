import { describePaymentGatewayContract, FakePaymentGateway } from '../src/testing/index';

describePaymentGatewayContract('in-memory fake', async () => {
  const gateway = new FakePaymentGateway();
  let delivered = 0;

  return {
    gateway,
    now: () => new Date(),
    completeOnboarding: async (accountId) => {
      gateway.completeOnboarding(accountId);
    },
    payByCard: async (invoiceId) => {
      gateway.payByCard(invoiceId);
    },
    payByBank: async (invoiceId) => {
      gateway.payByBank(invoiceId);
    },
    settleBankPayment: async (invoiceId) => {
      gateway.settleBankPayment(invoiceId);
    },
    refundOutside: async (invoiceId, amount) => {
      gateway.refundOutside(invoiceId, amount);
    },
    takeWebhooks: async () => {
      const fresh = gateway.events.slice(delivered);
      delivered = gateway.events.length;
      return fresh.map((event) => gateway.signedDelivery(event));
    },
    sign: (rawBody, signedAt) => gateway.signature(rawBody, signedAt),
    close: async () => undefined,
  };
});

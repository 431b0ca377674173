export * from './fake-payment-gateway';
export * from './fixtures';
export * from './payment-gateway.contract';
export * from './storage.contract';
export * from './test-doubles';

#!/usr/bin/env node
// The command's entry point. It is checked in, unlike dist/, so that installing the workspace
// links the command before the first build; the command itself is the built CLI.
try {
  await import('../dist/simulator/cli.js');
} catch (error) {
  if (
    error?.code === 'ERR_MODULE_NOT_FOUND' &&
    String(error.message).includes('dist/simulator/cli.js')
  ) {
    process.stderr.write(
      'memberpay-stripe-sim: this package is not built yet; run `pnpm build` first\n',
    );
    process.exit(1);
  }

  throw error;
}

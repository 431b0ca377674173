import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/memberpay/index.ts', 'src/cli.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});

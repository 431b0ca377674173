import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/simulator/index.ts', 'src/simulator/cli.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});

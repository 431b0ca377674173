/**
 * `pnpm bench`: every benchmark, one after another, each in its own process so that one's
 * memory never counts against another's. `pnpm bench webhooks batch` runs only those.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ALL = ['era835', 'ingest', 'webhooks', 'batch', 'storage'];
const chosen = process.argv.slice(2).filter((name) => !name.startsWith('-'));
const names = chosen.length > 0 ? chosen : ALL;
const root = fileURLToPath(new URL('..', import.meta.url));

let failures = 0;
for (const name of names) {
  const file = `bench/${name}.bench.ts`;
  if (!existsSync(new URL(`../${file}`, import.meta.url))) {
    console.log(`\n${name}: no ${file}; skipped`);
    continue;
  }

  console.log(`\n=== ${name} ===`);
  const run = spawnSync(
    process.execPath,
    ['--expose-gc', '--conditions=@memberpay/source', '--import', 'tsx', file],
    { cwd: root, stdio: 'inherit' },
  );
  if (run.status !== 0) {
    failures += 1;
    console.log(`${name}: exited with ${run.status ?? run.signal}`);
  }
}

process.exit(failures === 0 ? 0 : 1);

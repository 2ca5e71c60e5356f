#!/usr/bin/env node
// scripts/pack-check.mjs — `npm run test:pack`: the package as a plain Node application meets
// it. Packs the repository (npm pack runs prepare: the build), installs the tarball into an
// empty folder, runs an .mjs that imports 'homa-nic/host-lib' and makes an RPC, and runs
// `npx homa-nic --help` there. Needs the npm registry (or cache) for the runtime dependencies.
// Prints `pack-check: ok (...)` last, or fails naming the step.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'homa-nic-pack-'));
const keep = process.argv.includes('--keep');

function run(step, cmd, args, cwd) {
  process.stderr.write(`pack-check: ${step}: ${cmd} ${args.join(' ')}\n`);
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  } catch (e) {
    throw new Error(`${step} failed (exit ${e.status}): ${e.stdout ?? ''}`);
  }
}

try {
  run('pack', 'npm', ['pack', '--pack-destination', work, '--silent'], root);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack wrote no tarball');
  const app = join(work, 'app');
  run('mkdir', 'mkdir', ['-p', app], work);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pack-check-app', version: '1.0.0', private: true }, null, 2));
  run('install', 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, tarball)], app);
  const pkg = join(app, 'node_modules', 'homa-nic');
  for (const f of ['dist/host-lib/index.js', 'dist/host-lib/index.d.ts', 'dist/sim/workloads/data/w1.csv', 'bin/homa-nic.js']) {
    if (!existsSync(join(pkg, f))) throw new Error(`the installed package has no ${f}`);
  }
  if (existsSync(join(pkg, 'host-lib', 'socket.ts'))) throw new Error('the package ships TypeScript sources it does not need');
  writeFileSync(join(app, 'rpc.mjs'), `
import { SimCluster, open } from 'homa-nic/host-lib';
const cluster = new SimCluster({ hosts: 2 });
const server = open(cluster.device(1)).socket({ port: 40, server: true });
const serving = (async () => {
  for await (const r of server.requests()) { await server.reply(r, r.text().toUpperCase()); r.release(); }
})();
const client = open(cluster.device(0)).socket();
const m = await client.call({ address: '10.0.0.2', port: 40 }, 'hello from a plain node app');
console.log(m.text());
m.release();
client.close();
server.close();
await serving;
`);
  const out = run('rpc', process.execPath, ['rpc.mjs'], app).trim();
  if (out !== 'HELLO FROM A PLAIN NODE APP') throw new Error(`rpc.mjs printed "${out}"`);
  const help = run('homa-nic --help', 'npx', ['--no-install', 'homa-nic', '--help'], app);
  if (!/^homa-nic — an open Homa NIC/m.test(help)) throw new Error(`homa-nic --help printed "${help.slice(0, 200)}"`);
  console.log(`pack-check: ok (${tarball}; rpc.mjs: "${out}"; homa-nic --help: "${help.split('\n')[0]}")`);
} catch (e) {
  console.error(`pack-check: FAILED: ${e.message}`);
  process.exitCode = 1;
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
  else console.error(`pack-check: kept ${work}`);
}

// homa-nic wireshark: prints where the dissector is; --install copies it into a plugins folder.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, expect, test } from 'vitest';
import { parseWiresharkArgs, runWireshark } from './install.ts';
import { HOMA_LUA } from './tshark.ts';

const dir = mkdtempSync(join(tmpdir(), 'homa-plugins-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('homa-nic wireshark --install --dir copies homa.lua there; without --install it says how to load it', () => {
  let text = '';
  const out = new Writable({ write(chunk, _e, cb) { text += String(chunk); cb(); } });
  const target = join(dir, 'plugins');
  expect(runWireshark(parseWiresharkArgs(['--install', '--dir', target]), out)).toBe(0);
  expect(readFileSync(join(target, 'homa.lua'), 'utf8')).toBe(readFileSync(HOMA_LUA, 'utf8'));
  expect(text).toContain(`installed ${join(target, 'homa.lua')}`);
  expect(runWireshark(parseWiresharkArgs([]), out)).toBe(0);
  expect(text).toContain(`tshark -X lua_script:${HOMA_LUA}`);
  expect(() => parseWiresharkArgs(['--dir', target])).toThrow(/--dir goes with --install/);
  expect(() => parseWiresharkArgs(['--force'])).toThrow(/unknown flag "--force"/);
});

#!/usr/bin/env node
/**
 * npm test's last step, in two phases:
 *  1. the unit tests (each workspace's src/ and web/) and the end-to-end tests (test/) as two vitest
 *     processes side by side, each running its files one at a time: the end-to-end files, which
 *     start whole hubs and edges, never run two at once, and the lighter unit files use the other core;
 *     (two end-to-end files that judge no timing run in the unit process);
 *  2. the `e2e-solo` files (vitest.config.ts: OCR, full-rate analysis, timing under their own load)
 *     alone, as on a quiet machine.
 * Every output line is marked with its project; the exit status is the first failure's. Each project's
 * "Failed Tests" section is printed again after the summary line, so that the tail of the output (all
 * a CI log may keep) names what failed and why.
 *
 * With arguments (file filters, vitest options) it is a plain `vitest run` with them.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const args = process.argv.slice(2);

/** Lines of each project's "Failed Tests" section, kept to be printed again at the end. */
const failures = [];
const FAILURES_KEPT = 60;
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes
const plain = (line) => line.replace(/\x1b\[[0-9;]*m/g, '');

function run(vitestArgs, label) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [vitest, 'run', ...vitestArgs], {
      stdio: label ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      env: { ...process.env, ...(label ? { FORCE_COLOR: process.stdout.isTTY ? '1' : '0' } : {}) },
    });
    if (label) {
      for (const stream of [child.stdout, child.stderr]) {
        const out = stream === child.stdout ? process.stdout : process.stderr;
        let kept = -1;
        createInterface({ input: stream }).on('line', (line) => {
          out.write(`${label} ${line}\n`);
          const text = plain(line);
          if (/Failed Tests \d+/.test(text)) kept = 0;
          else if (/^\s*Test Files\s/.test(text)) kept = -1;
          if (kept >= 0 && kept < FAILURES_KEPT && text.trim() !== '') {
            failures.push(`${label} ${text}`);
            kept += 1;
          }
        });
      }
    }
    const stop = () => child.kill('SIGINT');
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

if (args.length > 0) {
  process.exit(await run(args, null));
}
// The front ends bundled once here, not by each process's global set-up at the same time.
await new Promise((resolve, reject) =>
  spawn(process.execPath, [fileURLToPath(new URL('build-web.mjs', import.meta.url)), '--quiet'], {
    stdio: 'inherit',
  })
    .on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`build-web.mjs exited ${code}`))))
    .on('error', reject),
);
process.env.GIC_TEST_WEB_BUILT = '1';
const started = Date.now();
const [unit, e2e] = await Promise.all([
  run(['--project', 'unit'], 'unit │'),
  run(['--project', 'e2e'], 'e2e  │'),
]);
const together = Math.round((Date.now() - started) / 1000);
const solo = await run(['--project', 'e2e-solo'], 'solo │');
const verdict = (code) => (code === 0 ? 'passed' : 'FAILED');
console.log(
  `tests: unit ${verdict(unit)}, end-to-end ${verdict(e2e)} (side by side, ${together} s), end-to-end alone ${verdict(solo)}, in ${Math.round((Date.now() - started) / 1000)} s`,
);
if (failures.length > 0) console.log(`what failed:\n${failures.join('\n')}`);
process.exit([unit, e2e, solo].find((code) => code !== 0) ?? 0);

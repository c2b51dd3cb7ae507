import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';

/** Whether onnxruntime's provider library (e.g. `cuda`) was installed beside its binding. */
function providerLibraryInstalled(name: string): boolean {
  try {
    const root = dirname(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')));
    const binDir = join(root, 'bin');
    const stack = [binDir];
    while (stack.length) {
      const dir = stack.pop()!;
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) stack.push(join(dir, entry.name));
        else if (entry.name.startsWith(`libonnxruntime_providers_${name}`)) return true;
      }
    }
    return false;
  } catch {
    return false;
  }
}

export type ExecutionProviderName = 'cuda' | 'tensorrt' | 'cpu';

/** Which execution providers this onnxruntime build can use, in order of preference. */
export function availableExecutionProviders(): ExecutionProviderName[] {
  const backends = ort.listSupportedBackends?.() ?? [{ name: 'cpu', bundled: true }];
  // A provider that is not bundled is usable only when its library was installed (ONNXRUNTIME_NODE_INSTALL=cuda12).
  const names = new Set(
    backends.filter((b) => b.bundled || providerLibraryInstalled(b.name)).map((b) => b.name),
  );
  const order: ExecutionProviderName[] = ['tensorrt', 'cuda', 'cpu'];
  return order.filter((n) => names.has(n));
}

/**
 * onnxruntime's session config entries (`session.intra_op.allow_spinning`, `session.inter_op.…`):
 * a thread pool's idle threads block instead of busy-waiting for the next operator. Measured on 2 cores
 * (a 1-minute 720p video decoded at 3 fps with 60 frames analysed, the hub's three models): 3.6 s of
 * CPU against 4.5 s spinning, wall 2.36 s against 2.63 s; the text detector's full scan of a 1280x720
 * frame took 154-171 ms against 178-210 ms (300-316 ms against 285-363 ms beside a busy core).
 */
const NO_SPINNING = {
  session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } },
} as const;

export interface OnnxSession {
  session: ort.InferenceSession;
  /** The execution provider the session was created with. */
  executionProvider: ExecutionProviderName;
}

/**
 * Creates a session on the first preferred provider that loads, falling back to CPU, so that
 * `/health/gpu` can say honestly which one is in use.
 */
export async function createOnnxSession(
  modelPath: string,
  preferred: ExecutionProviderName[] = ['cuda', 'cpu'],
  intraOpNumThreads?: number,
): Promise<OnnxSession> {
  const available = availableExecutionProviders();
  const candidates = preferred.filter((p) => available.includes(p));
  if (!candidates.includes('cpu')) candidates.push('cpu');
  let lastError: unknown;
  for (const executionProvider of candidates) {
    try {
      const session = await ort.InferenceSession.create(modelPath, {
        executionProviders: [executionProvider],
        graphOptimizationLevel: 'all',
        // Errors only: exported models often carry unused initializers, which onnxruntime warns about.
        logSeverityLevel: 3,
        // Waiting threads sleep rather than spin between operators: spinning burnt a fifth of a
        // batch worker's CPU (its decoder's share on a 2-core hub) for no faster inference.
        extra: NO_SPINNING,
        ...(intraOpNumThreads ? { intraOpNumThreads } : {}),
      });
      return { session, executionProvider };
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

export { ort };

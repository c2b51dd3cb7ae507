import * as ort from 'onnxruntime-node';

export type ExecutionProviderName = 'cuda' | 'tensorrt' | 'cpu';

/** Which execution providers this onnxruntime build can use, in order of preference. */
export function availableExecutionProviders(): ExecutionProviderName[] {
  const backends = ort.listSupportedBackends?.() ?? [{ name: 'cpu', bundled: true }];
  const names = new Set(backends.map((b) => b.name));
  const order: ExecutionProviderName[] = ['tensorrt', 'cuda', 'cpu'];
  return order.filter((n) => names.has(n));
}

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

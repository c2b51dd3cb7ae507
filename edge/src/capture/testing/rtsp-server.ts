import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Debian's own interpreter: the GStreamer bindings (python3-gi) are installed for it, not for a pyenv one. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const SCRIPT = join(import.meta.dirname, 'rtsp-server.py');

/** A test RTSP camera on loopback (see rtsp-server.py); resolves once it listens. */
export async function startRtspServer(port: number, timeoutMs = 10_000): Promise<ChildProcess> {
  const child = spawn(PYTHON, [SCRIPT, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(`no "ready" within ${timeoutMs} ms`), timeoutMs);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(
        new Error(
          `test RTSP server did not start (${why}): ${stderr.trim() || 'no output'}; needs python3-gst-1.0 and gir1.2-gst-rtsp-server-1.0 (scripts/setup.sh test)`,
        ),
      );
    };
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => fail(`exited with ${code}`));
    child.once('error', (err) => fail(err.message));
  });
  child.removeAllListeners('exit');
  child.on('error', () => {}); // a signal that cannot be sent: the server is gone already
  return child;
}

/** Kills the server outright, as a camera losing power would go, and waits until it is gone. */
export async function killRtspServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('close', r));
  child.kill('SIGKILL');
  await gone;
}

import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, api, describeError, request, type Session } from '../lib/api.js';
import type { JobQueues } from '../lib/video-api.js';

const REFRESH_MS = 3000;

/** For admins: each job queue's active, waiting and failed jobs; pause, resume, retry a failed job. */
export function JobsPage({ session }: { session: Session }) {
  const [queues, setQueues] = useState<JobQueues | null>(null);
  const [problem, setProblem] = useState('');

  const load = useCallback(async () => {
    try {
      setQueues(await api<JobQueues>(session, '/api/v1/jobs'));
      setProblem('');
    } catch (err) {
      setProblem(
        err instanceof ApiError && err.status === 404
          ? 'This hub has no jobs API (404): batch processing is not installed.'
          : describeError(err),
      );
    }
  }, [session]);
  useEffect(() => {
    load();
    const t = setInterval(load, REFRESH_MS);
    return () => clearInterval(t);
  }, [load]);

  const act = async (path: string) => {
    try {
      await request(session, path, { method: 'POST', body: '{}' });
      await load();
    } catch (err) {
      setProblem(describeError(err));
    }
  };
  const q = (name: string) => encodeURIComponent(name);

  return (
    <section id="jobs">
      <h2>Jobs</h2>
      {problem && (
        <p class="notice" id="jobs-problem">
          {problem}
        </p>
      )}
      {queues && (
        <table>
          <thead>
            <tr>
              <th>Queue</th>
              <th>Active</th>
              <th>Waiting</th>
              <th>Failed</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {queues.queues.map((queue) => (
              <tr key={queue.name} data-queue={queue.name}>
                <td>{queue.name}</td>
                <td>{queue.active}</td>
                <td>{queue.waiting}</td>
                <td>{queue.failed}</td>
                <td>{queue.paused ? 'paused' : 'running'}</td>
                <td>
                  <button
                    type="button"
                    onClick={() => act(`/api/v1/jobs/${q(queue.name)}/${queue.paused ? 'resume' : 'pause'}`)}
                  >
                    {queue.paused ? 'Resume' : 'Pause'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {queues?.queues
        .filter((queue) => queue.failedJobs.length > 0)
        .map((queue) => (
          <div key={queue.name}>
            <h3>{`Failed in ${queue.name}`}</h3>
            <ul class="failed-jobs">
              {queue.failedJobs.map((job) => (
                <li key={job.id}>
                  <code>{job.id}</code>
                  {` ${job.failedAt ? new Date(job.failedAt).toLocaleString() : ''}: ${job.error ?? 'no reason recorded'} `}
                  <button
                    type="button"
                    onClick={() => act(`/api/v1/jobs/${q(queue.name)}/${q(job.id)}/retry`)}
                  >
                    Retry
                  </button>
                </li>
              ))}
            </ul>
          </div>
        ))}
    </section>
  );
}

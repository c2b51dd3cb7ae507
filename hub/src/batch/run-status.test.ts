import { describe, expect, it } from 'vitest';
import type { RunRow, StageRow } from './processing-repo.js';
import { NO_RUN, overallProgress, runStatus } from './run-status.js';

const t0 = new Date('2026-01-01T00:00:00Z');
const stage = (
  name: StageRow['name'],
  state: StageRow['state'],
  progress: number,
  startedAt?: Date,
): StageRow => ({
  run_id: 'r',
  name,
  state,
  progress,
  attempts: 1,
  job_id: null,
  started_at: startedAt ?? null,
  finished_at: null,
  error: null,
});
const run = (state: RunRow['state'], stageName: RunRow['stage']): RunRow => ({
  id: 'r',
  procedure_id: 'p',
  state,
  stage: stageName,
  requested_by: 'a',
  error: null,
  created_at: t0,
  updated_at: t0,
  finished_at: null,
});

describe('run status', () => {
  it('maps stages onto the seed split 0-30, 30-80, 80-90, 90-100', () => {
    expect(overallProgress([stage('extract', 'active', 0.5)])).toBe(15);
    expect(
      overallProgress([
        stage('extract', 'completed', 0),
        stage('analyse', 'active', 0.5),
        stage('summary', 'waiting', 0),
      ]),
    ).toBe(55);
    expect(
      overallProgress([
        stage('extract', 'completed', 1),
        stage('analyse', 'completed', 1),
        stage('summary', 'completed', 1),
        stage('export', 'active', 0.5),
      ]),
    ).toBe(95);
  });

  it('estimates the time left from the rate so far, and none once finished', () => {
    const stages = [stage('extract', 'completed', 1, t0), stage('analyse', 'active', 0.4, t0)];
    // 50 % after 100 s: 100 s more.
    const s = runStatus(run('active', 'analyse'), stages, t0.getTime() + 100_000);
    expect(s.progress).toBe(50);
    expect(s.etaSeconds).toBe(100);
    expect(s.stage).toBe('analyse');
    expect(runStatus(run('completed', 'export'), stages, t0.getTime() + 100_000).etaSeconds).toBeNull();
    expect(runStatus(undefined, [])).toEqual(NO_RUN);
  });
});

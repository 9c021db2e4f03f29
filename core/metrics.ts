import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process (or per test app), so tests can read the counters they caused. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'minsheng_' });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'minsheng_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    activitiesReceived: new Counter({
      name: 'minsheng_activities_received_total',
      help: 'Inbound activities persisted, by channel (duplicates excluded)',
      labelNames: ['channel'] as const,
      registers: [registry],
    }),
    duplicateActivities: new Counter({
      name: 'minsheng_activities_duplicate_total',
      help: 'Inbound activities dropped as retries of an already persisted message, by channel',
      labelNames: ['channel'] as const,
      registers: [registry],
    }),
    turnDuration: new Histogram({
      name: 'minsheng_turn_duration_seconds',
      help: 'Assistant turn duration including persistence',
      labelNames: ['outcome'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    turnsRecovered: new Counter({
      name: 'minsheng_turns_recovered_total',
      help: 'Stored messages found unanswered by the recovery sweep and queued again',
      registers: [registry],
    }),
    voiceCalls: new Counter({
      name: 'minsheng_voice_calls_total',
      help: 'Voice calls ended, by transport and reason',
      labelNames: ['transport', 'reason'] as const,
      registers: [registry],
    }),
    voiceReplyLatency: new Histogram({
      name: 'minsheng_voice_reply_latency_seconds',
      help: "From the end of a caller's speech (endpointed) to the first reply audio sent",
      buckets: [0.25, 0.5, 1, 1.5, 2, 3, 5, 8, 13],
      registers: [registry],
    }),
    transcriptionDuration: new Histogram({
      name: 'minsheng_transcription_duration_seconds',
      help: 'Speech recognition time per utterance or recording',
      labelNames: ['transcriber'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 16],
      registers: [registry],
    }),
    handoffsOffered: new Counter({
      name: 'minsheng_handoffs_offered_total',
      help: 'Handoffs offered to an agent by routing',
      registers: [registry],
    }),
    handoffWait: new Histogram({
      name: 'minsheng_handoff_wait_seconds',
      help: 'From a handoff being queued to an agent accepting it',
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800],
      registers: [registry],
    }),
    jobsProcessed: new Counter({
      name: 'minsheng_jobs_total',
      help: 'Queue jobs handled, by queue and outcome',
      labelNames: ['queue', 'outcome'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Overviews for the report tests: every figure zero, and a month of made-up figures with citizen text that
 * must stay text (script) and must not become a formula (=cmd).
 */
import type { Overview } from './types.js';

const PERIODS = ['2026-11-02', '2026-11-09', '2026-11-16', '2026-11-23'];

/** Every figure zero, every list empty: a period nothing happened in. */
export function emptyOverview(): Overview {
  const none = { satisfied: 0, fair: 0, dissatisfied: 0, rate: null };
  return {
    filters: { from: '2026-11-01', to: '2026-11-30', granularity: 'week' },
    generatedAt: '2026-12-01T01:00:00Z',
    freshAt: null,
    totals: {
      conversations: 0,
      citizenMessages: 0,
      tickets: 0,
      selfServed: 0,
      selfServiceRate: null,
      handoffs: 0,
      handoffRate: null,
      emergencies: 0,
      refused: 0,
      complianceRate: null,
      overdueOpen: 0,
      satisfactionRate: null,
      satisfactionResponses: 0,
    },
    volume: { periods: [], byChannel: [], byDemandType: [], byCategory: [], byDistrict: [] },
    selfService: {
      periods: [],
      conversations: [],
      selfServed: [],
      rate: [],
      answered: 0,
      suggested: 0,
      missed: 0,
      helpful: 0,
      unhelpful: 0,
    },
    handoffs: {
      total: 0,
      rate: null,
      reasons: [],
      dispositions: [],
      wait: { answered: 0, abandoned: 0, waiting: 0, p50Seconds: null, p90Seconds: null, maxSeconds: null },
      periods: [],
      counts: [],
    },
    deadlines: { resolved: 0, onTime: 0, late: 0, complianceRate: null, overdueOpen: 0, byDepartment: [] },
    satisfaction: { callback: none, handback: none },
    unanswered: [],
    hotspots: [],
    clusters: [],
  };
}

export const XSS = '<script>alert(1)</script>';

export function sampleOverview(): Overview {
  const empty = emptyOverview();
  return {
    ...empty,
    freshAt: '2026-12-01T00:55:00Z',
    totals: {
      ...empty.totals,
      conversations: 1200,
      citizenMessages: 4800,
      tickets: 40,
      selfServed: 750,
      selfServiceRate: 0.625,
      handoffs: 120,
      handoffRate: 0.1,
      emergencies: 2,
      refused: 3,
      complianceRate: 0.875,
      overdueOpen: 4,
      satisfactionRate: 0.9,
      satisfactionResponses: 20,
    },
    volume: {
      periods: PERIODS,
      byChannel: [
        { key: 'webchat', name: '网页', counts: [100, 120, 130, 150] },
        { key: 'voice', name: '电话', counts: [150, 160, 190, 200] },
      ],
      byDemandType: [
        { key: 'complaint', name: '投诉', counts: [5, 6, 4, 5] },
        { key: 'consult', name: '咨询', counts: [5, 5, 5, 5] },
      ],
      byCategory: Array.from({ length: 12 }, (_, i) => ({
        code: String(i + 1).padStart(2, '0'),
        name: i === 0 ? `环境保护${XSS}` : `类别${i + 1}`,
        count: 12 - i,
      })),
      byDistrict: [
        { district: '高新区', count: 25 },
        { district: '', count: 15 },
      ],
    },
    selfService: {
      periods: PERIODS,
      conversations: [250, 280, 320, 350],
      selfServed: [150, 175, 200, 225],
      rate: [0.6, 0.625, 0.625, null],
      answered: 600,
      suggested: 80,
      missed: 45,
      helpful: 300,
      unhelpful: 12,
    },
    handoffs: {
      total: 120,
      rate: 0.1,
      reasons: [
        { reason: 'requested', count: 100 },
        { reason: 'emergency', count: 15 },
        { reason: 'low-confidence', count: 5 },
      ],
      dispositions: [
        { disposition: '已解答', count: 90 },
        { disposition: '', count: 20 },
      ],
      wait: { answered: 110, abandoned: 8, waiting: 2, p50Seconds: 65, p90Seconds: 240.4, maxSeconds: 3725 },
      periods: PERIODS,
      counts: [25, 30, 30, 35],
    },
    deadlines: {
      resolved: 32,
      onTime: 28,
      late: 4,
      complianceRate: 0.875,
      overdueOpen: 4,
      byDepartment: [{ department: '市生态环境局', resolved: 16, onTime: 14, overdueOpen: 1 }],
    },
    satisfaction: {
      callback: { satisfied: 12, fair: 3, dissatisfied: 1, rate: 0.9375 },
      handback: { satisfied: 2, fair: 1, dissatisfied: 1, rate: 0.75 },
    },
    unanswered: [
      {
        text: "=cmd|' /C calc'!A0",
        normalized: 'cmdccalca0',
        count: 3,
        missed: 2,
        unhelpful: 1,
        lastAt: '2026-11-29T08:30:00Z',
      },
      { text: '养老金什么时候到账？', normalized: '养老金什么时候到账', count: 9, missed: 9, unhelpful: 0, lastAt: '' },
    ],
    hotspots: [
      { categoryCode: '05', categoryName: '噪声污染', district: '高新区', current: 15, previous: 6, ratio: 2.5 },
    ],
    clusters: [
      {
        label: '油烟 · 烧烤 · 夜间',
        keywords: ['油烟', '烧烤', '夜间'],
        count: 7,
        categoryCode: '05',
        categoryName: '环境保护',
        districts: [
          { district: '高新区', count: 5 },
          { district: '', count: 2 },
        ],
        sample: `小区楼下烧烤店夜间油烟很大${XSS}`,
        ticketNumbers: ['GD20261101001', 'GD20261102003'],
      },
    ],
  };
}

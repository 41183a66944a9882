// Generated from models/tcp_cc.yaml by
// scripts/gen-struct-ops-rules.ts: the struct_ops subsystems the reference kernel registers.
// Do not edit; edit the model and regenerate (core/model/struct-ops-rules.test.ts checks).
import type { StructOpsRules } from '../verifier/progtypes/struct-ops-rules';

export const REFERENCE_STRUCT_OPS: readonly StructOpsRules[] = [
  {
    name: 'tcp_congestion_ops',
    members: [
      {
        name: 'ssthresh',
      },
      {
        name: 'cong_avoid',
      },
      {
        name: 'set_state',
      },
      {
        name: 'cwnd_event',
      },
      {
        name: 'in_ack_event',
      },
      {
        name: 'pkts_acked',
      },
      {
        name: 'min_tso_segs',
      },
      {
        name: 'cong_control',
      },
      {
        name: 'undo_cwnd',
      },
      {
        name: 'sndbuf_expand',
      },
      {
        name: 'get_info',
        kind: 'unsupported',
      },
      {
        name: 'name',
        kind: 'data',
      },
      {
        name: 'flags',
        kind: 'data',
      },
      {
        name: 'init',
      },
      {
        name: 'release',
      },
    ],
    sleepable: 'any',
    writable: [
      {
        struct: 'tcp_sock',
        fields: [
          'inet_conn.icsk_inet.sk.sk_pacing_rate',
          'inet_conn.icsk_inet.sk.sk_pacing_status',
          'inet_conn.icsk_ca_priv',
          'inet_conn.icsk_ack.pending',
          'snd_cwnd',
          'snd_cwnd_cnt',
          'snd_cwnd_stamp',
          'snd_ssthresh',
          'ecn_flags',
          'app_limited',
        ],
      },
    ],
    promote: [
      {
        from: 'sock',
        to: 'tcp_sock',
      },
    ],
    helpers: [
      'tcp_send_ack',
      'sk_storage_get',
      'sk_storage_delete',
      'setsockopt',
      'getsockopt',
      'ktime_get_coarse_ns',
    ],
    helperRule: {
      kind: 'per_member',
      deny: {
        release: ['setsockopt', 'getsockopt'],
      },
    },
  },
];

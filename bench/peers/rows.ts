// What the peer comparison's bench rows are called and counted in. Free of TF.js, so that Node code (the CLI's
// table, tests) can read result files without loading it.

/** The TF.js backends the bench runs its peers on, in the order it times them: GPU first, then the CPU ones. */
export const PEER_BACKENDS = ['webgpu', 'wasm', 'cpu'] as const;
export type PeerBackend = (typeof PEER_BACKENDS)[number];

export type PeerModelName = 'icl' | 'scansnap';

/** Every row's unit: steps × replicas (a peer's R models are stepped one after another). */
export const PEER_UNIT = 'replica-steps';

/** 'onelayer' or a peer, 'tfjs-wasm'. */
export function peerImplementation(backend: PeerBackend): string {
  return `tfjs-${backend}`;
}

/** 'onelayer icl step R=16', 'peer tfjs-wasm icl step R=16'. */
export function peerRowName(implementation: string, model: PeerModelName, replicas: number): string {
  return `${implementation === 'onelayer' ? '' : 'peer '}${implementation} ${model} step R=${replicas}`;
}

export interface PeerRowKey {
  implementation: string;
  model: PeerModelName;
  replicas: number;
}

/** The inverse of peerRowName; null for any other row. */
export function parsePeerRowName(name: string): PeerRowKey | null {
  const match = /^(?:(onelayer)|peer (tfjs-[a-z]+)) (icl|scansnap) step R=(\d+)$/.exec(name);
  return match ? { implementation: match[1] ?? match[2], model: match[3] as PeerModelName, replicas: Number(match[4]) } : null;
}

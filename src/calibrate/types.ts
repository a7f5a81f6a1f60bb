// The calibration file `kpsim calibrate` writes: the cost model's constants measured on this
// machine (flat: name -> number, what `costModelWith` accepts), every measurement behind them
// with its spread, and the machine it was measured on.

/** Which clock a calibration number comes from. */
export type CalClock =
  /** CPU time of the measuring thread (scheduler runtime): time lost to other processes is not in it. */
  | 'thread-cpu'
  /** user+system CPU of a command (iptables-restore, nft, iptables), from its rusage. */
  | 'child-cpu'
  | 'wall';

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** How many values the median is of (samples, or repetitions for a fit). */
  n: number;
}

/** One measured quantity at one scale (or without one). */
export interface PointMeasurement extends Spread {
  kind: 'point';
  /** e.g. "iptables.walk", "iptables.restore", "nftables.load". */
  id: string;
  what: string;
  /** iptables backend (nft, legacy) or "nftables". */
  backend?: string;
  services?: number;
  /** The size the quantity is plotted against (rules walked, restore lines, elements...). */
  x?: number;
  xUnit?: string;
  unit: string;
  clock: CalClock;
}

/** A constant derived from points (a fit across scales, or a difference of two paths). */
export interface ConstantMeasurement extends Spread {
  kind: 'constant';
  id: string;
  /** The cost model's name for it. */
  constant: string;
  /** Whether the cost model has this constant (else it is a proposal: nftables, ...). */
  inCostModel: boolean;
  what: string;
  unit: string;
  clock: CalClock;
  /** How it is computed from the points, in words. */
  derivation: string;
  backend?: string;
  /** Growth exponent of the underlying time against size (1 = linear), where one was fitted. */
  exponent?: number;
}

export interface NotMeasured {
  kind: 'not-measured';
  id: string;
  constant?: string;
  what: string;
  reason: string;
}

export type Measurement = PointMeasurement | ConstantMeasurement | NotMeasured;

export interface CalibrationMachine {
  kernel: string;
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  /** Tool versions as they print them (`iptables-nft --version`, ...). */
  versions: Record<string, string>;
  /** CONFIG_IRQ_TIME_ACCOUNTING: when set, softirq time is not in a thread's CPU time. */
  irqTimeAccounting: boolean | null;
  node: string;
}

export interface CalibrationRun {
  date: string;
  kpsimVersion: string;
  scenario: string;
  scales: number[];
  backends: string[];
  repetitions: number;
  /** Connects (or datagrams) per sample and samples per point. */
  opsPerSample: number;
  samples: number;
  wallSeconds: number;
}

export interface CalibrationFile {
  schema: 'kpsim-calibration/1';
  costModel: Record<string, number>;
  measurements: Measurement[];
  machine: CalibrationMachine;
  run: CalibrationRun;
}

import { availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  /** 1-minute load average when the run started and ended: anything near the core count means a busy machine. */
  loadAverage: { start: number; end?: number };
}

export function describeMachine(): Machine {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    loadAverage: { start: Math.round(loadavg()[0]! * 100) / 100 },
  };
}

export function endLoadAverage(machine: Machine): void {
  machine.loadAverage.end = Math.round(loadavg()[0]! * 100) / 100;
}

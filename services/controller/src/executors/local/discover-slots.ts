// One slot per GPU when there are GPUs, else N CPU slots.
import { execFileSync } from 'node:child_process';
import type { Slot } from '../executor.js';

export interface SlotDiscoveryInput {
  /** CUDA_VISIBLE_DEVICES as the controller was started with it, if set. */
  cudaVisibleDevices: string | undefined;
  /** `--slots N`: N CPU slots, which also overrides GPU discovery. */
  cpuSlots: number | undefined;
  /** Lists GPU indexes; injectable so discovery is testable without a GPU. */
  listGpus?: () => string[];
}

export function discoverSlots(input: SlotDiscoveryInput): Slot[] {
  if (input.cpuSlots !== undefined) return cpuSlots(input.cpuSlots);
  const gpus = gpusFromEnv(input.cudaVisibleDevices) ?? (input.listGpus ?? listGpusWithNvidiaSmi)();
  if (gpus.length > 0) return gpus.map((gpu) => ({ name: `gpu:${gpu}`, env: { CUDA_VISIBLE_DEVICES: gpu } }));
  return cpuSlots(1);
}

function cpuSlots(n: number): Slot[] {
  return Array.from({ length: n }, (_, i) => ({ name: `cpu:${i}`, env: {} }));
}

/** `0,1,3` → ['0','1','3']; empty or `-1` means no GPU is visible; unset means "ask nvidia-smi". */
export function gpusFromEnv(value: string | undefined): string[] | null {
  if (value === undefined) return null;
  const ids = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (ids.length === 0 || ids[0] === '-1') return [];
  return ids;
}

/** `nvidia-smi -L` prints `GPU 0: NVIDIA H100 (UUID: ...)` per device; no nvidia-smi means no GPU. */
export function parseNvidiaSmiList(output: string): string[] {
  return [...output.matchAll(/^GPU (\d+):/gm)].map((m) => m[1]!);
}

function listGpusWithNvidiaSmi(): string[] {
  try {
    return parseNvidiaSmiList(execFileSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return [];
  }
}

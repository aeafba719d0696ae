// The slots each study is entitled to when the queue is contended: what claim-run.ts's rule (the next free
// slot goes to the study with the fewest running runs per unit of priority, skipping teams at their quota)
// settles at. Pure; the dashboard's queue page shows it beside what each study actually holds.

export interface ShareClaimant {
  id: string;
  teamId: string;
  priority: number;
  /** Runs it could use now: running plus queued. */
  demand: number;
}

/**
 * Water-filling: capacity is split in proportion to priority; a study that wants less than its split keeps
 * only what it wants, and the rest is split again among the others. A team over its quota has its studies
 * capped to the quota's own split, and the remainder goes to everyone else. Shares may be fractional: they
 * are what a study holds on average as slots turn over.
 */
export function entitledSlots(claimants: ShareClaimant[], capacity: number, teamQuotas: ReadonlyMap<string, number | null>): Map<string, number> {
  const caps = new Map(claimants.map((c) => [c.id, Math.max(0, c.demand)]));
  for (let round = 0; round <= teamQuotas.size; round++) {
    const shares = waterFill(claimants, capacity, caps);
    let capped = false;
    for (const [teamId, quota] of teamQuotas) {
      if (quota === null) continue;
      const members = claimants.filter((c) => c.teamId === teamId);
      const held = members.reduce((sum, c) => sum + shares.get(c.id)!, 0);
      if (held <= quota + 1e-9) continue;
      for (const [id, share] of waterFill(members, quota, caps)) caps.set(id, share);
      capped = true;
    }
    if (!capped) return shares;
  }
  return waterFill(claimants, capacity, caps);
}

function waterFill(claimants: ShareClaimant[], capacity: number, caps: ReadonlyMap<string, number>): Map<string, number> {
  const shares = new Map(claimants.map((c) => [c.id, 0]));
  let open = claimants.filter((c) => caps.get(c.id)! > 0 && c.priority > 0);
  let left = Math.max(0, capacity);
  while (open.length > 0 && left > 1e-9) {
    const weight = open.reduce((sum, c) => sum + c.priority, 0);
    const saturated = open.filter((c) => (left * c.priority) / weight >= caps.get(c.id)! - shares.get(c.id)!);
    if (saturated.length === 0) {
      for (const c of open) shares.set(c.id, shares.get(c.id)! + (left * c.priority) / weight);
      return shares;
    }
    for (const c of saturated) {
      left -= caps.get(c.id)! - shares.get(c.id)!;
      shares.set(c.id, caps.get(c.id)!);
    }
    open = open.filter((c) => !saturated.includes(c));
  }
  return shares;
}

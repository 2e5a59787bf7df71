import type { PrismaClient, Viewer } from '@commons/shared';

const HANDLE_MAX = 32;

/** A handle made from free text: lowercase, only [a-z0-9_.-], at most 32 characters; '' if nothing is left. */
export function toHandle(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // drop the accents NFKD split off, so "José" becomes "jose"
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '_')
    .replace(/^[_.-]+|[_.-]+$/g, '')
    .slice(0, HANDLE_MAX);
}

/** The profile a viewer's claims give: the `users` row this subgraph keeps in step with them. */
export function profileOf(viewer: Viewer): { displayName: string; handle: string } {
  // Claims arrive trimmed from the gateway; trimming again keeps blank claims from becoming blank names.
  const name = viewer.name?.trim() || undefined;
  const handle = viewer.handle?.trim() || undefined;
  return {
    displayName: name ?? handle ?? viewer.id,
    handle: handle ?? (toHandle(name ?? '') || toHandle(viewer.id) || 'user'),
  };
}

/**
 * Creates or refreshes the caller's `users` row from their token's claims ("user on first
 * sight"). Remembers, per process, the claims it last wrote for each user, so a steady user
 * costs no write per request; the map is bounded by evicting the oldest entry.
 */
export class ViewerProfiles {
  private readonly written = new Map<string, string>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly maxEntries = 10_000,
  ) {}

  async sync(viewer: Viewer): Promise<void> {
    const { displayName, handle } = profileOf(viewer);
    const fingerprint = JSON.stringify([displayName, handle]);
    if (this.written.get(viewer.id) === fingerprint) return;
    // ON CONFLICT makes concurrent first requests safe; the WHERE skips the write when
    // the row already matches (e.g. after a restart emptied the map).
    await this.prisma.$executeRaw`
      INSERT INTO users (id, handle, display_name)
      VALUES (${viewer.id}, ${handle}, ${displayName})
      ON CONFLICT (id) DO UPDATE
        SET handle = EXCLUDED.handle, display_name = EXCLUDED.display_name, updated_at = now()
        WHERE users.handle IS DISTINCT FROM EXCLUDED.handle
           OR users.display_name IS DISTINCT FROM EXCLUDED.display_name`;
    this.written.delete(viewer.id); // re-insert so eviction order follows recency
    this.written.set(viewer.id, fingerprint);
    if (this.written.size > this.maxEntries) {
      this.written.delete(this.written.keys().next().value as string);
    }
  }
}

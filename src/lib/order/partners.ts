// The partner list of `feed/admin` (docs/architecture.md, "Feeds": partners online): a second root of
// that feed, a Y.Map `partners`: partnerId → PartnerEntry (plain JSON), written by the
// sync-server only. `online` means the partner has a socket open to the sync-server now.
import * as Y from 'yjs';
import { z } from 'zod';
import { ID_PATTERN, ORDER_LIMITS, VEHICLES, type Vehicle } from './schema.ts';

const FEED_PARTNERS_ROOT = 'partners';

export interface PartnerEntry {
	id: string;
	name: string;
	vehicle: Vehicle | null;
	/** The partner's availability toggle (taking new orders). */
	available: boolean;
	/** Has at least one socket open to the sync-server right now. */
	online: boolean;
	/** ISO time the partner was last seen connecting or disconnecting; null if never. */
	lastSeen: string | null;
	deliveredCount: number;
	/** Mean stars of rated deliveries (2 decimals); null before the first rating. */
	ratingAverage: number | null;
	ratingCount: number;
}

const partnerEntrySchema = z.object({
	id: z.string().regex(ID_PATTERN),
	name: z.string().max(ORDER_LIMITS.personName),
	vehicle: z.enum(VEHICLES).nullable(),
	available: z.boolean(),
	online: z.boolean(),
	lastSeen: z.string().nullable(),
	deliveredCount: z.number().int().min(0),
	ratingAverage: z.number().min(1).max(5).nullable(),
	ratingCount: z.number().int().min(0)
});

export function partnersMap(doc: Y.Doc): Y.Map<unknown> {
	return doc.getMap<unknown>(FEED_PARTNERS_ROOT);
}

function parsePartnerEntry(value: unknown): PartnerEntry | null {
	const result = partnerEntrySchema.safeParse(value);
	return result.success ? result.data : null;
}

/** The partners of `feed/admin`: online first, then by name. */
export function readPartners(doc: Y.Doc): PartnerEntry[] {
	const entries: PartnerEntry[] = [];
	for (const value of partnersMap(doc).values()) {
		const entry = parsePartnerEntry(value);
		if (entry !== null) entries.push(entry);
	}
	return entries.sort(
		(a, b) =>
			Number(b.online) - Number(a.online) || a.name.localeCompare(b.name) || (a.id < b.id ? -1 : 1)
	);
}

/** Server only: put (or replace) a partner's entry; skipped when nothing changed. */
export function writePartnerEntry(doc: Y.Doc, entry: PartnerEntry, origin?: unknown): boolean {
	const map = partnersMap(doc);
	if (JSON.stringify(map.get(entry.id)) === JSON.stringify(entry)) return false;
	doc.transact(() => map.set(entry.id, entry), origin);
	return true;
}

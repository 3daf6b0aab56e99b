// Which documents have sockets open on the other processes sharing documents: the feeds nobody
// has open are written lazily, and a feed open on another process is not "nobody". Each process
// tells a channel when a document gets its first socket there and loses its last, and every 10 s
// all it has open (so what a process that died had open is forgotten within 30 s).
import type { Logger } from '../../src/lib/shared/log.ts';
import type { RedisLink } from './redis-link.ts';

const REFRESH_MS = 10_000;
const FORGET_MS = 30_000;

type WatchMessage =
	{ p: string; k: 'open' | 'closed'; d: string } | { p: string; k: 'all'; d: string[] };

export interface SharedWatchersOptions {
	link: RedisLink;
	channel: string;
	processId: string;
	/** The documents whose watchers are told (the others are never asked about). */
	tracks: (docName: string) => boolean;
	/** What this process has open now (for the periodic full list). */
	openHere: () => string[];
	/** A document nobody elsewhere had open was opened on another process. */
	openedElsewhere: (docName: string) => void;
	log: Logger;
}

export class SharedWatchers {
	/** Per other process: what it has open, and when it last said anything. */
	private readonly others = new Map<string, { docs: Set<string>; seenAt: number }>();
	private timer: NodeJS.Timeout | null = null;

	constructor(private readonly options: SharedWatchersOptions) {}

	async start(): Promise<void> {
		const { link, channel } = this.options;
		link.subscriber.on('message', (from: string, message: string) => {
			if (from === channel) this.heard(message);
		});
		await link.subscriber.subscribe(channel);
		this.timer = setInterval(() => this.refresh(), REFRESH_MS);
		this.timer.unref();
		this.refresh();
	}

	stop(): void {
		if (this.timer) clearInterval(this.timer);
	}

	/** Whether a socket on another process has `docName` open. */
	watched(docName: string): boolean {
		for (const other of this.others.values()) if (other.docs.has(docName)) return true;
		return false;
	}

	/** `docName` got its first socket on this process. */
	opened(docName: string): void {
		if (this.options.tracks(docName)) {
			this.publish({ p: this.options.processId, k: 'open', d: docName });
		}
	}

	/** `docName` lost its last socket on this process. */
	closed(docName: string): void {
		if (this.options.tracks(docName)) {
			this.publish({ p: this.options.processId, k: 'closed', d: docName });
		}
	}

	private refresh(): void {
		const now = Date.now();
		for (const [id, other] of this.others)
			if (now - other.seenAt > FORGET_MS) this.others.delete(id);
		const open = this.options.openHere().filter(this.options.tracks);
		this.publish({ p: this.options.processId, k: 'all', d: open });
	}

	private publish(message: WatchMessage): void {
		this.options.link.publisher
			.publish(this.options.channel, JSON.stringify(message))
			.catch((error: unknown) => this.options.log.debug({ err: error }, 'watch not published'));
	}

	private heard(raw: string): void {
		let message: WatchMessage;
		try {
			message = JSON.parse(raw) as WatchMessage;
		} catch {
			return;
		}
		if (typeof message?.p !== 'string' || message.p === this.options.processId) return;
		let other = this.others.get(message.p);
		if (!other) this.others.set(message.p, (other = { docs: new Set(), seenAt: 0 }));
		other.seenAt = Date.now();
		if (message.k === 'all' && Array.isArray(message.d)) {
			const before = other.docs;
			other.docs = new Set(message.d.filter((d) => typeof d === 'string'));
			for (const doc of other.docs) if (!before.has(doc)) this.notifyOpened(doc, message.p);
		} else if (message.k === 'open' && typeof message.d === 'string') {
			if (!other.docs.has(message.d)) {
				other.docs.add(message.d);
				this.notifyOpened(message.d, message.p);
			}
		} else if (message.k === 'closed' && typeof message.d === 'string') {
			other.docs.delete(message.d);
		}
	}

	private notifyOpened(docName: string, by: string): void {
		for (const [id, other] of this.others) if (id !== by && other.docs.has(docName)) return;
		this.options.openedElsewhere(docName);
	}
}

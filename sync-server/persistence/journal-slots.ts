// Each process journals into a folder of its own (a slot), so several sync-servers sharing one
// disk and one database (with Redis) never write into one journal. A slot belongs to the live
// process whose owner marker is in it; a process starting on the same disk takes over every slot
// whose owner is gone, replays what is in it, and keeps one for itself. So the journal of a
// process that died is replayed by whichever process starts next beside it: the same one
// restarted (a container's restart policy, systemd), or another.
//
// Layout: `<root>/slot-<n>/owner.<pid>.<start>.<nonce>` (the start time as /proc gives it, so that
// a pid used again by another process does not pass for the owner; the nonce tells one claim from
// another) and the journal's segments.
import { randomBytes } from 'node:crypto';
import {
	existsSync,
	mkdirSync,
	readdirSync,
	readFileSync,
	rmdirSync,
	rmSync,
	writeFileSync
} from 'node:fs';
import { join } from 'node:path';

const SLOT = /^slot-(\d+)$/;
const OWNER = /^owner\.(\d+)\.([^.]+)\.([0-9a-f]+)$/;
/** Times a claim that met another claim at the same moment is tried again. */
const CLAIM_ATTEMPTS = 5;

interface Owner {
	pid: number;
	/** The start time in clock ticks after boot, or `-` without /proc. */
	start: string;
	nonce: string;
}

/** The nonces of this process's own markers (what tells them apart without /proc). */
const ours = new Set<string>();

/** This process's start time as /proc gives it, null for a process that does not exist. */
function startOf(pid: number): string | null {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		// the fields after the command name (which may hold spaces and parentheses)
		return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
	} catch {
		return existsSync('/proc/self/stat') ? null : '-';
	}
}

function parseOwner(file: string): Owner | null {
	const match = OWNER.exec(file);
	return match ? { pid: Number(match[1]), start: match[2]!, nonce: match[3]! } : null;
}

/** Whether the process a marker names is still running (and is that process). */
function alive(owner: Owner): boolean {
	if (owner.pid === process.pid && ours.has(owner.nonce)) return true;
	if (owner.start !== '-') return startOf(owner.pid) === owner.start;
	// no /proc: the pid alone (this process's own pid in a marker it did not write is stale)
	if (owner.pid === process.pid) return false;
	try {
		process.kill(owner.pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

function liveOwners(dir: string, except?: string): string[] {
	return readdirSync(dir).filter((file) => {
		const owner = parseOwner(file);
		return owner !== null && owner.nonce !== except && alive(owner);
	});
}

/** Waits a few milliseconds, at random (start-up only). */
function pause(): void {
	Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2 + Math.random() * 20);
}

/**
 * Makes this process the owner of `dir` unless a live process owns it; returns its marker. Two
 * processes claiming at once never both own it: each writes its marker, then looks for another
 * live one, and gives up its own if it finds one (of two claims, the one that looks last sees the
 * other's marker). Two that meet back off and try again after a random pause.
 */
function claim(dir: string): string | null {
	mkdirSync(dir, { recursive: true, mode: 0o700 });
	for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
		// markers of processes that are gone go (more than one process may remove the same one)
		for (const file of readdirSync(dir)) {
			const owner = parseOwner(file);
			if (owner && !alive(owner)) rmSync(join(dir, file), { force: true });
		}
		if (liveOwners(dir).length > 0) return null;
		const nonce = randomBytes(6).toString('hex');
		ours.add(nonce);
		const marker = join(dir, `owner.${process.pid}.${startOf(process.pid) ?? '-'}.${nonce}`);
		writeFileSync(marker, '', { flag: 'wx', mode: 0o600 });
		if (liveOwners(dir, nonce).length === 0) return marker;
		rmSync(marker, { force: true });
		ours.delete(nonce);
		pause();
	}
	return null;
}

export interface JournalSlots {
	/** The folder this process journals into. */
	own: string;
	/** Slots of processes that are gone, now this process's: replay them, then `drop` each. */
	orphans: string[];
	/** Removes an orphan slot once its journal is replayed. */
	drop(dir: string): void;
	/** Gives up this process's own slot (its journal closed with nothing left in it). */
	release(): void;
}

/** Takes over the slots under `root` whose owners are gone, and one slot for this process. */
export function claimJournalSlots(root: string): JournalSlots {
	mkdirSync(root, { recursive: true, mode: 0o700 });
	const markers = new Map<string, string>();
	const take = (dir: string) => {
		const marker = claim(dir);
		if (marker) markers.set(dir, marker);
		return marker !== null;
	};
	const slots = readdirSync(root)
		.map((name) => SLOT.exec(name))
		.filter((match) => match !== null)
		.map((match) => join(root, `slot-${match[1]}`))
		.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
	const claimed = slots.filter(take);
	let own = claimed.shift();
	for (let n = slots.length; own === undefined; n++) {
		const dir = join(root, `slot-${n}`);
		if (!slots.includes(dir) && take(dir)) own = dir;
	}
	const ownDir = own;
	const remove = (dir: string) => {
		const marker = markers.get(dir);
		if (marker) rmSync(marker, { force: true });
		markers.delete(dir);
		try {
			rmdirSync(dir); // only when its journal left nothing in it
		} catch {
			/* segments kept for the next start */
		}
	};
	return {
		own: ownDir,
		orphans: claimed,
		drop: remove,
		release: () => {
			remove(ownDir);
			try {
				rmdirSync(root); // when no other process journals under it
			} catch {
				/* other slots */
			}
		}
	};
}

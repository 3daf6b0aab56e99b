// Each process journals into a folder of its own (a slot), so several sync-servers sharing one
// disk and one database (with Redis) never write into one journal. A slot belongs to the process
// named in its `owner` file while that process lives; a process starting on the same disk takes
// over every slot whose owner is gone, replays what is in it, and keeps one for itself. So the
// journal of a process that died is replayed by whichever process starts next beside it: the
// same one restarted (a container's restart policy, systemd), or another.
//
// Layout: `<root>/slot-<n>/owner` (`<pid> <start>`, the start time as /proc gives it, so that a
// pid used again by another process does not pass for the owner) and the journal's segments.
import {
	existsSync,
	linkSync,
	mkdirSync,
	readdirSync,
	readFileSync,
	renameSync,
	rmdirSync,
	rmSync,
	writeFileSync
} from 'node:fs';
import { join } from 'node:path';

const SLOT = /^slot-(\d+)$/;
const OWNER = 'owner';

/** `<pid> <start time>`: the start time in clock ticks after boot (Linux), or `-` without /proc. */
function identityOf(pid: number): string | null {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		// the fields after the command name (which may hold spaces and parentheses)
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		return `${pid} ${fields[19]}`;
	} catch {
		return existsSync('/proc/self/stat') ? null : `${pid} -`;
	}
}

/** Whether the process an owner file names is still running (and is that process). */
function ownerAlive(owner: string): boolean {
	const [pidText, start] = owner.trim().split(' ');
	const pid = Number(pidText);
	if (!Number.isSafeInteger(pid) || pid <= 0 || start === undefined) return false;
	if (start === '-') {
		// no /proc: the pid alone (this process's own pid, written by an earlier run, is stale)
		if (pid === process.pid) return false;
		try {
			process.kill(pid, 0);
			return true;
		} catch (error) {
			return (error as NodeJS.ErrnoException).code === 'EPERM';
		}
	}
	return identityOf(pid) === owner.trim();
}

function readOwner(path: string): string | null {
	try {
		return readFileSync(path, 'utf8');
	} catch {
		return null;
	}
}

/**
 * Makes this process the owner of `dir`, unless a live process owns it. Atomic between processes:
 * the owner file is created by a hard link (which fails if one exists), and a stale one is moved
 * aside by a rename only one process can make.
 */
function claim(dir: string, me: string): boolean {
	mkdirSync(dir, { recursive: true, mode: 0o700 });
	const ownerPath = join(dir, OWNER);
	const mine = join(dir, `${OWNER}.${process.pid}.new`);
	writeFileSync(mine, me, { mode: 0o600 });
	try {
		for (let attempt = 0; attempt < 3; attempt++) {
			try {
				linkSync(mine, ownerPath);
				return true;
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
			}
			const owner = readOwner(ownerPath);
			if (owner !== null && ownerAlive(owner)) return false;
			try {
				renameSync(ownerPath, join(dir, `${OWNER}.${process.pid}.stale`));
				rmSync(join(dir, `${OWNER}.${process.pid}.stale`), { force: true });
			} catch (error) {
				// another process moved it first: try the link again
				if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
			}
		}
		return false;
	} finally {
		rmSync(mine, { force: true });
	}
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
	const me = identityOf(process.pid) ?? `${process.pid} -`;
	const slots = readdirSync(root)
		.map((name) => SLOT.exec(name))
		.filter((match) => match !== null)
		.map((match) => Number(match[1]))
		.sort((a, b) => a - b);
	const claimed = slots.filter((n) => claim(join(root, `slot-${n}`), me));
	let own = claimed.shift();
	if (own === undefined) {
		own = (slots.at(-1) ?? -1) + 1;
		while (!claim(join(root, `slot-${own}`), me)) own++;
	}
	const ownDir = join(root, `slot-${own}`);
	const remove = (dir: string) => {
		rmSync(join(dir, OWNER), { force: true });
		try {
			rmdirSync(dir); // only when its journal left nothing in it
		} catch {
			/* segments kept for the next start */
		}
	};
	return {
		own: ownDir,
		orphans: claimed.map((n) => join(root, `slot-${n}`)),
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

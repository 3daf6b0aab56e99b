import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimJournalSlots } from './journal-slots.ts';
import { RelayJournal } from './relay-journal.ts';

let root: string;

beforeEach(() => {
	root = mkdtempSync(join(tmpdir(), 'journal-slots-'));
});

afterEach(() => {
	rmSync(root, { recursive: true, force: true });
});

/** A pid no process has any more (one that ran and exited). */
function deadPid(): number {
	const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], {
		encoding: 'utf8'
	});
	return Number(child.stdout.trim());
}

/** A slot as a process that is gone left it: its owner marker, and a journal holding `names`. */
function leftBehind(slot: string, pid: number, start: string, names: string[]): string {
	const dir = join(root, slot);
	mkdirSync(dir, { recursive: true });
	writeFileSync(join(dir, `owner.${pid}.${start}.0123abcd`), '');
	const journal = new RelayJournal({ dir });
	for (const name of names) journal.append(name, new Uint8Array([1, 2, 3]));
	return dir;
}

describe('claimJournalSlots', () => {
	it('gives each live process a slot of its own', () => {
		const first = claimJournalSlots(root);
		const second = claimJournalSlots(root); // its owner (this process) is alive: not taken
		expect(first.own).toBe(join(root, 'slot-0'));
		expect(second.own).toBe(join(root, 'slot-1'));
		expect([first.orphans, second.orphans]).toEqual([[], []]);
		second.release();
		first.release();
		expect(existsSync(root)).toBe(false);
	});

	it('takes over the slots of processes that are gone, with what their journals hold', () => {
		const gone = leftBehind('slot-0', deadPid(), '4242', ['order/a']);
		// the pid of this process, but another start time: a pid used again, not the owner
		const reused = leftBehind('slot-3', process.pid, '1', ['order/b', 'order/c']);
		const slots = claimJournalSlots(root);
		expect(slots.own).toBe(gone);
		expect(slots.orphans).toEqual([reused]);
		const own = new RelayJournal({ dir: slots.own });
		expect(own.leftovers().records.map((record) => record.name)).toEqual(['order/a']);
		const orphan = new RelayJournal({ dir: reused });
		expect(orphan.leftovers().records.map((record) => record.name)).toEqual(['order/b', 'order/c']);
		orphan.replayed();
		slots.drop(reused);
		expect(existsSync(reused)).toBe(false);
		// a slot holding a live process's journal is left alone
		expect(claimJournalSlots(root).orphans).toEqual([]);
	});

	it('leaves a slot whose journal still holds updates to the next process, without an owner', () => {
		const slots = claimJournalSlots(root);
		const journal = new RelayJournal({ dir: slots.own });
		journal.append('order/kept', new Uint8Array([7]));
		journal.close();
		slots.release();
		expect(readdirSync(slots.own).filter((file) => file.startsWith('journal-'))).toHaveLength(1);
		const next = claimJournalSlots(root);
		expect(next.own).toBe(slots.own);
		expect(new RelayJournal({ dir: next.own }).leftovers().records[0]?.name).toBe('order/kept');
	});

	it('lets exactly one of several processes starting at once take a slot that was left', async () => {
		const stale = leftBehind('slot-0', deadPid(), '4242', ['order/x']);
		// every child claims at the same moment, once all have loaded
		const startAt = Date.now() + 3_000;
		const script = `
			const { claimJournalSlots } = await import(${JSON.stringify(join(import.meta.dirname, 'journal-slots.ts'))});
			while (Date.now() < ${startAt});
			const slots = claimJournalSlots(${JSON.stringify(root)});
			console.log(JSON.stringify({ own: slots.own, orphans: slots.orphans }));
			await new Promise((resolve) => setTimeout(resolve, 1500)); // alive while the others claim
		`;
		const runs = await Promise.all(
			Array.from({ length: 4 }, () => {
				const child = spawn(process.execPath, [
					'--import',
					'tsx',
					'--input-type=module',
					'-e',
					script
				]);
				let out = '';
				child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
				return new Promise<{ own: string; orphans: string[] }>((resolve, reject) => {
					child.on('error', reject);
					child.on('exit', (code) =>
						code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}`))
					);
				});
			})
		);
		const owns = runs.map((run) => run.own);
		expect(new Set(owns).size).toBe(4);
		const takers = runs.filter((run) => run.own === stale || run.orphans.includes(stale));
		expect(takers).toHaveLength(1);
	}, 30_000);
});

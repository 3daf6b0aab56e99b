// The sync-server's Node flags are runtime settings it is measured and shipped with
// (docs/performance.md, "Why it is built this way"). They are written in three launchers; this
// keeps them equal.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

/** The `--` options of a `node … build-sync/main.js` command, sorted. */
function nodeFlags(command: string): string[] {
	return command
		.split(/[\s,[\]'"]+/)
		.filter((word) => word.startsWith('--'))
		.sort();
}

function startSync(): string {
	const manifest = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
	const script = manifest.scripts['start:sync'];
	if (!script) throw new Error('package.json has no start:sync script');
	return script;
}

/** The sync service's `command:` in docker-compose.yml (inline or a multi-line list). */
function composeCommand(): string {
	const compose = read('docker-compose.yml');
	const service = compose.slice(compose.indexOf('\n  sync:'));
	const start = service.indexOf('command:');
	const end = service.indexOf('environment:', start);
	if (start < 0 || end < 0)
		throw new Error('no command for the sync service in docker-compose.yml');
	return service.slice(start, end);
}

function upScriptCommand(): string {
	const line = read('scripts/up.sh')
		.split('\n')
		.find((l) => /^node .*build-sync\/main\.js/.test(l));
	if (!line) throw new Error('scripts/up.sh does not start build-sync/main.js');
	return line;
}

describe('sync-server launch flags', () => {
	it('are the same in npm run start:sync, docker-compose.yml and scripts/up.sh', () => {
		const expected = nodeFlags(startSync());
		expect(expected).toEqual(
			expect.arrayContaining(['--single-threaded-gc', '--heap-growing-percent=100'])
		);
		expect(nodeFlags(composeCommand())).toEqual(expected);
		expect(nodeFlags(upScriptCommand())).toEqual(expected);
	});
});

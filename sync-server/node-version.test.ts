// The Node runtime Dispatch runs on is written in several places: the version scripts/setup.sh
// installs where the machine's Node is older (scripts/node-env.sh), .node-version and .nvmrc (for
// version managers), package.json's engines, the esbuild targets of the sync-server's bundle
// (npm run build:sync and the bench's) and the Dockerfile's images. This keeps them equal.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

/** DISPATCH_NODE_VERSION=<x.y.z> in scripts/node-env.sh: the exact version setup installs. */
function pinnedVersion(): string {
	const match = /^DISPATCH_NODE_VERSION=(\d+\.\d+\.\d+)$/m.exec(read('scripts/node-env.sh'));
	if (!match) throw new Error('scripts/node-env.sh pins no DISPATCH_NODE_VERSION=x.y.z');
	return match[1]!;
}

describe('the Node version', () => {
	const version = pinnedVersion();
	const major = version.split('.')[0]!;

	it('is an even (LTS) major of at least 24', () => {
		expect(Number(major)).toBeGreaterThanOrEqual(24);
		expect(Number(major) % 2).toBe(0);
	});

	it('is the same in .node-version and .nvmrc as in scripts/node-env.sh', () => {
		expect(read('.node-version').trim()).toBe(version);
		expect(read('.nvmrc').trim()).toBe(version);
	});

	it("is package.json's engines and the esbuild targets of the sync-server", () => {
		const manifest = JSON.parse(read('package.json')) as {
			engines: { node: string };
			scripts: Record<string, string>;
		};
		expect(manifest.engines.node).toBe(`>=${major}`);
		expect(manifest.scripts['build:sync']).toContain(` --target=node${major} `);
		expect(read('bench/servers.ts')).toMatch(new RegExp(`target: 'node${major}'`));
		const lock = JSON.parse(read('package-lock.json')) as {
			packages: Record<string, { engines?: { node?: string } }>;
		};
		expect(lock.packages['']?.engines?.node).toBe(`>=${major}`);
	});

	it("is every image of the Dockerfile (slim Debian, the major's newest)", () => {
		const images = read('Dockerfile')
			.split('\n')
			.filter((line) => /^FROM /i.test(line))
			.map((line) => line.split(/\s+/)[1]);
		expect(images.length).toBeGreaterThan(0);
		for (const image of images) expect(image).toBe(`node:${major}-bookworm-slim`);
	});

	it('is at most the major the tests run on (setup brings it where the machine has an older one)', () => {
		expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(Number(major));
	});
});

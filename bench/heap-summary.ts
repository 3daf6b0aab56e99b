// Summarises a .heapprofile from bench/heap-sampler.mjs: bytes by allocating function, and by the
// nearest frame of the server's own code (what in ours, or in a peer's server, caused them).
// Usage: npm run bench:heap-summary -- FILE [--top N]
import { readFileSync } from 'node:fs';
import { moduleOf } from './profile.ts';

interface HeapNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	children?: HeapNode[];
}

interface HeapProfile {
	head: HeapNode;
	samples: Array<{ nodeId: number; size: number }>;
	meta?: { keep: string; lengthMs: number };
}

const args = process.argv.slice(2);
const file = args.find((arg) => !arg.startsWith('--'));
const topIndex = args.indexOf('--top');
const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 25;
if (!file || !Number.isInteger(top) || top < 1) {
	console.error('usage: npm run bench:heap-summary -- FILE [--top N]');
	process.exit(2);
}

let profile: HeapProfile;
try {
	profile = JSON.parse(readFileSync(file, 'utf8')) as HeapProfile;
} catch (error) {
	console.error(`cannot read ${file} as a .heapprofile: ${(error as Error).message}`);
	process.exit(2);
}
const sizes = new Map<number, number>();
for (const sample of profile.samples) {
	sizes.set(sample.nodeId, (sizes.get(sample.nodeId) ?? 0) + sample.size);
}

/** `name module:line`, the module as bench/profile.ts names it for CPU profiles. */
function where(node: HeapNode): string {
	const { functionName, url, lineNumber } = node.callFrame;
	return `${functionName || '(anonymous)'} ${moduleOf(url)}:${lineNumber + 1}`;
}

/** The server's own code: ours' bundle, or a peer's server package; not a library either uses. */
function isServerCode(node: HeapNode): boolean {
	const { url } = node.callFrame;
	if (url === '' || url.startsWith('node:')) return false;
	if (!url.includes('node_modules/')) return true;
	return url.includes('@y/websocket-server/') || url.includes('@hocuspocus/server/');
}

const bySite = new Map<string, number>();
const byOwnFrame = new Map<string, number>();
let total = 0;
const stack: HeapNode[] = [];
(function walk(node: HeapNode) {
	stack.push(node);
	const size = sizes.get(node.id) ?? 0;
	if (size > 0) {
		total += size;
		const site = where(node);
		bySite.set(site, (bySite.get(site) ?? 0) + size);
		const own = [...stack].reverse().find(isServerCode);
		const key = own ? where(own) : '(outside the server code)';
		byOwnFrame.set(key, (byOwnFrame.get(key) ?? 0) + size);
	}
	for (const child of node.children ?? []) walk(child);
	stack.pop();
})(profile.head);

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1).padStart(6)} MB`;
const table = (rows: Map<string, number>) =>
	[...rows]
		.sort((a, b) => b[1] - a[1])
		.slice(0, top)
		.map(
			([key, bytes]) => `${mb(bytes)} ${((100 * bytes) / total).toFixed(1).padStart(5)} %  ${key}`
		)
		.join('\n');

const kept = profile.meta ? ` (kept: ${profile.meta.keep}, ${profile.meta.lengthMs / 1000} s)` : '';
console.log(`${file}: ${mb(total).trim()} sampled${kept}`);
console.log('\nby allocating function:\n' + table(bySite));
console.log('\nby nearest frame of the server code:\n' + table(byOwnFrame));

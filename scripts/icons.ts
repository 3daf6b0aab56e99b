// Renders the app's PNG icons from the SVG sources in static/icons/ (npm run icons). The PNGs are
// committed; run this after changing icon.svg or maskable.svg. `any` icons keep the rounded
// square with transparent corners; maskable ones and the Apple touch icon are full-bleed squares
// (the platform applies its own mask, and iOS paints transparency black).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

const DIR = 'static/icons';

const outputs: Array<{ source: string; file: string; size: number }> = [
	{ source: 'icon.svg', file: 'icon-192.png', size: 192 },
	{ source: 'icon.svg', file: 'icon-512.png', size: 512 },
	{ source: 'maskable.svg', file: 'maskable-192.png', size: 192 },
	{ source: 'maskable.svg', file: 'maskable-512.png', size: 512 },
	{ source: 'maskable.svg', file: 'apple-touch-icon.png', size: 180 }
];

for (const { source, file, size } of outputs) {
	const svg = readFileSync(join(DIR, source));
	// rendered at the target size directly (the SVGs are 512 px wide: density 72 is 512 px), so
	// nothing is scaled afterwards and edges stay clean
	await sharp(svg, { density: (72 * size) / 512 })
		.resize(size, size)
		.png({ compressionLevel: 9, palette: false })
		.toFile(join(DIR, file));
	console.log(`${file}: ${size}×${size} from ${source}`);
}

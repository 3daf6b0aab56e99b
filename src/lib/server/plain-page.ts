// Self-contained HTML pages for answers given before or instead of rendering the app: no
// scripts, no layout data, nothing that needs the database. Styled inline with the app's colours.

function escapeHtml(text: string): string {
	return text.replace(
		/[&<>"']/g,
		(ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!
	);
}

export interface PlainPage {
	status: number;
	title: string;
	text: string;
	/** A link under the text, e.g. "Try again" (the same URL). */
	link?: { href: string; label: string };
	headers?: Record<string, string>;
}

export function plainPage(page: PlainPage): Response {
	const link = page.link
		? `<p><a class="btn" href="${escapeHtml(page.link.href)}">${escapeHtml(page.link.label)}</a></p>`
		: '';
	const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="theme-color" content="#0f5132">
<title>${escapeHtml(page.title)} · Dispatch</title>
<style>
body{margin:0;min-height:100vh;display:grid;place-items:center;background:#f6f7f5;color:#16201b;font:1rem/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}
main{max-width:32rem;margin:1.5rem;padding:2rem;background:#fff;border:1px solid #d5dbd7;border-radius:10px;box-shadow:0 1px 2px rgb(0 0 0 / .06),0 2px 8px rgb(0 0 0 / .05);text-align:center}
.brand{margin:0 0 1rem;font-weight:700;color:#0f5132}
.code{margin:0 0 .5rem;font-size:.8rem;font-weight:700;letter-spacing:.08em;text-transform:uppercase;color:#4d5a53}
h1{margin:0 0 .75rem;font-size:1.5rem}
p{margin:0 0 1rem;color:#4d5a53}
.btn{display:inline-block;padding:.5rem 1rem;border-radius:6px;background:#0f5132;color:#fff;text-decoration:none;font-weight:600}
.btn:focus-visible{outline:3px solid #2563eb;outline-offset:2px}
</style>
</head>
<body>
<main>
<p class="brand">Dispatch</p>
<p class="code">Error ${page.status}</p>
<h1>${escapeHtml(page.title)}</h1>
<p>${escapeHtml(page.text)}</p>
${link}
</main>
</body>
</html>
`;
	return new Response(html, {
		status: page.status,
		headers: {
			'content-type': 'text/html; charset=utf-8',
			'cache-control': 'no-store',
			...page.headers
		}
	});
}

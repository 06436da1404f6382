import { esc } from './charts/frame';

/** What the browser code needs to know about the page it runs on. */
export interface PageConfig {
  readonly page: 'list' | 'search';
  readonly searchId?: string;
  /** Trace link template with `{traceId}`. */
  readonly traceUrlTemplate: string;
}

const head = (title: string) =>
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="stylesheet" href="/assets/app.css">
</head>`;

/** The HTML shell of a dashboard page; `/assets/app.js` renders it from the JSON API. */
export function pageHtml(cfg: PageConfig): string {
  const title = cfg.page === 'search' ? `hwnas · search ${cfg.searchId}` : 'hwnas · searches';
  return `${head(title)}
<body>
<header class="top"><a class="brand" href="/">hwnas</a><span class="sub">hardware-aware NAS dashboard</span><span id="live" class="live" title="live updates">connecting…</span></header>
<main id="app" data-config="${esc(JSON.stringify(cfg))}"><p class="muted">Loading…</p></main>
<script src="/assets/app.js"></script>
</body>
</html>
`;
}

/** The 401 page: says what is wrong and takes the token once (it is then kept in an HttpOnly cookie). */
export function unauthorizedHtml(reason: 'missing' | 'bad', next: string): string {
  const why = reason === 'missing' ? 'This dashboard needs the API token of the hwnas coordinator, and none was given.' : 'The token given is not the API token of this hwnas server.';
  return `${head('hwnas · 401 token required')}
<body>
<main class="center">
<section class="card narrow" id="unauthorized">
<h1>401 · token required</h1>
<p>${esc(why)}</p>
<p class="muted">Give the token once below (it is kept in a cookie for this browser session), open the page with <code>?token=…</code>, or send an <code>Authorization: Bearer …</code> header. It is the token of the gRPC API (<code>HWNAS_API_TOKEN</code> or <code>--token-file</code>).</p>
<form method="get" action="${esc(next)}">
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="current-password" autofocus required>
<button type="submit">Open the dashboard</button>
</form>
</section>
</main>
</body>
</html>
`;
}

/** A small error page (unknown search, unknown path). */
export function errorHtml(status: number, message: string): string {
  return `${head(`hwnas · ${status}`)}
<body>
<main class="center"><section class="card narrow"><h1>${status}</h1><p>${esc(message)}</p><p><a href="/">All searches</a></p></section></main>
</body>
</html>
`;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text safe to place in HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** A whole page; `body` must already be escaped. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body {
    font-family: system-ui, sans-serif; max-width: 36rem; margin: 2rem auto; padding: 0 1rem;
    color: #1a1f36;
  }
  .amount { font-size: 2rem; font-weight: 600; margin: 0.5rem 0; }
  .muted { color: #697386; }
  .notice { padding: 0.75rem; border-radius: 6px; background: #f6f8fa; margin: 1rem 0; }
  .error { background: #fdecea; }
  fieldset { border: 1px solid #e3e8ee; border-radius: 6px; margin: 1rem 0; }
  label { display: block; margin: 0.5rem 0; }
  button {
    background: #635bff; color: white; border: 0; border-radius: 6px; padding: 0.6rem 1.2rem;
    font-size: 1rem;
  }
  table { width: 100%; border-collapse: collapse; }
  td { padding: 0.25rem 0; }
  td.number { text-align: right; }
</style>
</head>
<body>
${body}
<p class="muted">Simulated by the memberpay Stripe simulator. No real money moves.</p>
</body>
</html>
`;
}

/** `March 3, 2026` for a unix timestamp, in UTC. */
export function formatDate(seconds: number): string {
  return new Date(seconds * 1000).toLocaleDateString('en-US', {
    timeZone: 'UTC',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
  });
}

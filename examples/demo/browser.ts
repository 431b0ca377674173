/**
 * What a member's browser does on a hosted page: load it, fill the form it shows, submit it.
 * Good enough for the simulator's plain pages; a real Stripe page needs a real browser.
 */
export async function submitForm(
  pageUrl: string,
  choices: Readonly<Record<string, string>>,
): Promise<{ readonly status: number; readonly html: string }> {
  const page = await fetch(pageUrl);
  const html = await page.text();
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) {
    throw new Error(`No form on ${pageUrl} (HTTP ${page.status})`);
  }

  const [, attributes = '', body = ''] = form;
  const action = /\baction="([^"]*)"/i.exec(attributes)?.[1] ?? '';
  const fields = new URLSearchParams();
  for (const [input] of body.matchAll(/<input\b[^>]*>/gi)) {
    const name = /\bname="([^"]*)"/i.exec(input)?.[1];
    const value = /\bvalue="([^"]*)"/i.exec(input)?.[1] ?? '';
    const isRadio = /\btype="radio"/i.test(input);
    if (name && (!isRadio || /\bchecked\b/i.test(input))) {
      fields.set(name, decodeEntities(value));
    }
  }

  for (const [name, value] of Object.entries(choices)) {
    fields.set(name, value);
  }

  const submitted = await fetch(new URL(action, page.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: fields.toString(),
    // A page that sends the browser back to the host's site ends the visit here.
    redirect: 'manual',
  });
  return { status: submitted.status, html: await submitted.text() };
}

function decodeEntities(text: string): string {
  return text
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

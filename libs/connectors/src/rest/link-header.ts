/**
 * The target of the first `rel="next"` link in RFC 8288 `Link` header(s), resolved against the
 * request URL. Relation types are case-insensitive and may be a space-separated list; quoted
 * parameter values may contain commas and semicolons.
 */
export function nextLink(header: string | string[] | undefined, requestUrl: string): string | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header.join(', ') : header;
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('<', i);
    if (open < 0) return undefined;
    const close = text.indexOf('>', open);
    if (close < 0) return undefined;
    const target = text.slice(open + 1, close);
    // Parameters run to the next comma outside quotes.
    let j = close + 1;
    let params = '';
    let quoted = false;
    for (; j < text.length; j++) {
      const c = text[j]!;
      if (c === '"') quoted = !quoted;
      else if (c === '\\' && quoted) {
        params += c + (text[j + 1] ?? '');
        j++;
        continue;
      } else if (c === ',' && !quoted) break;
      params += c;
    }
    i = j + 1;
    for (const param of splitParams(params)) {
      const eq = param.indexOf('=');
      if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'rel') continue;
      const value = param
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/s, '$1');
      if (value.toLowerCase().split(/\s+/).includes('next')) {
        try {
          return new URL(target, requestUrl).toString();
        } catch {
          return undefined;
        }
      }
      break; // RFC 8288 §3.3: only the first rel parameter counts
    }
  }
  return undefined;
}

function splitParams(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out.map((p) => p.trim()).filter(Boolean);
}

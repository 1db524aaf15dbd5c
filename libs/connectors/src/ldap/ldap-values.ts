/**
 * Active Directory's objectGUID (16 bytes) in its usual text form: the first three groups are
 * little-endian (Microsoft GUID layout), the last two big-endian. Lower case.
 */
export function formatGuid(bytes: Buffer): string {
  if (bytes.length !== 16) return bytes.toString('hex');
  const hex = (start: number, end: number, reverse: boolean) => {
    const slice = Buffer.from(bytes.subarray(start, end));
    return (reverse ? slice.reverse() : slice).toString('hex');
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`;
}

/**
 * A DN in one canonical spelling so the same entry compares equal whichever way the server or
 * an admin wrote it (RFC 4514): attribute types and values lower-cased (naming attributes are
 * case-insensitive in practice), spaces around separators dropped, escapes decoded and re-encoded
 * the same way, multi-valued RDN parts (`cn=Amy+sn=Kroker`) sorted. A DN that does not parse is
 * lower-cased and trimmed.
 */
export function normaliseDn(dn: string): string {
  // Most DNs have no escapes, quotes, hex values or multi-valued RDNs: lower-case and trim the
  // parts (what the full parse gives them, several times faster; it runs for every entry read).
  if (PLAIN_DN.test(dn)) {
    const parts = dn.toLowerCase().split(',');
    let out = '';
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const eq = part.indexOf('=');
      if (eq <= 0 || part.indexOf('=', eq + 1) >= 0) return normaliseParsedDn(dn);
      const type = trimSpaces(part.slice(0, eq));
      const value = trimSpaces(part.slice(eq + 1));
      if (!type || value.startsWith('#')) return normaliseParsedDn(dn);
      out += (i ? ',' : '') + type + '=' + value;
    }
    return out;
  }
  return normaliseParsedDn(dn);
}

/** No escapes, quotes, multi-valued RDNs, other separators or whitespace but plain spaces. */
const PLAIN_DN = /^[^\\"+;<>#\s]*(?: [^\\"+;<>#\s]*)*$/;

function trimSpaces(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) === 32) start++;
  while (end > start && s.charCodeAt(end - 1) === 32) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** `normaliseDn` by the full RFC 4514 parse (any DN). */
export function normaliseParsedDn(dn: string): string {
  const rdns = parseDn(dn);
  if (!rdns) return dn.trim().toLowerCase();
  return rdns
    .map((rdn) =>
      rdn
        .map(([type, value]) => `${type.toLowerCase()}=${escapeDnValue(value.toLowerCase())}`)
        .sort()
        .join('+'),
    )
    .join(',');
}

type Rdn = [type: string, value: string][];

function parseDn(dn: string): Rdn[] | undefined {
  const rdns: Rdn[] = [];
  let rdn: Rdn = [];
  let i = 0;
  const s = dn.trim();
  if (s === '') return [];
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    if (eq < 0) return undefined;
    const type = s.slice(i, eq).trim();
    if (!type) return undefined;
    i = eq + 1;
    while (s[i] === ' ') i++;
    let value = '';
    const bytes: number[] = [];
    const flush = () => {
      if (bytes.length) value += Buffer.from(bytes.splice(0)).toString('utf8');
    };
    let trailingSpaces = 0;
    if (s[i] === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\') i++;
        value += s[i++] ?? '';
      }
      i++;
    } else if (s[i] === '#') {
      // Hex-encoded BER value: keep as written.
      const start = i;
      while (i < s.length && s[i] !== ',' && s[i] !== '+' && s[i] !== ';') i++;
      value = s.slice(start, i).trim();
    } else {
      while (i < s.length && s[i] !== ',' && s[i] !== '+' && s[i] !== ';') {
        const c = s[i]!;
        if (c === '\\') {
          const hex = s.slice(i + 1, i + 3);
          if (/^[0-9a-fA-F]{2}$/.test(hex)) {
            bytes.push(parseInt(hex, 16));
            i += 3;
          } else {
            flush();
            value += s[i + 1] ?? '';
            i += 2;
          }
          trailingSpaces = 0;
          continue;
        }
        flush();
        trailingSpaces = c === ' ' ? trailingSpaces + 1 : 0;
        value += c;
        i++;
      }
      flush();
      if (trailingSpaces) value = value.slice(0, value.length - trailingSpaces);
    }
    while (s[i] === ' ') i++;
    rdn.push([type, value]);
    const sep = s[i];
    if (sep === '+') {
      i++;
      continue;
    }
    rdns.push(rdn);
    rdn = [];
    if (sep === ',' || sep === ';') i++;
    else if (sep !== undefined) return undefined;
  }
  if (rdn.length) rdns.push(rdn);
  return rdns;
}

/** RFC 4514 §2.4 escaping of an attribute value inside a DN. */
function escapeDnValue(value: string): string {
  let out = value.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`);
  if (out.startsWith(' ') || out.startsWith('#')) out = `\\${out}`;
  if (out.endsWith(' ')) out = `${out.slice(0, -1)}\\ `;
  return out;
}

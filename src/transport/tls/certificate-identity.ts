import type * as tls from 'node:tls';
import type { CertificateIdentity } from '../transport';

/**
 * The identity of the peer's certificate, when the handshake verified it; undefined otherwise
 * (no certificate asked for or sent, or `rejectUnauthorized: false` let an unverified one in).
 * Read once per connection, never per call.
 */
export function certificateIdentity(socket: tls.TLSSocket): CertificateIdentity | undefined {
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (cert === null || typeof cert.fingerprint256 !== 'string') return undefined;
  return {
    subject: formatDistinguishedName(cert.subject),
    san: splitSubjectAltName(cert.subjectaltname),
    fingerprint256: cert.fingerprint256,
  };
}

// RFC 4514 §2.4: these are escaped with a backslash anywhere in a value.
const DN_SPECIAL = /[,+"\\<>;=]/g;

/**
 * 'CN=alice,O=Rivet' from Node's subject object, in the certificate's order. A repeated
 * attribute (two OUs) comes as an array and is written once per value.
 */
export function formatDistinguishedName(subject: object | undefined): string {
  if (subject === undefined || subject === null) return '';
  const parts: string[] = [];
  for (const [attr, value] of Object.entries(subject)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      let s = String(v).replace(DN_SPECIAL, (c) => `\\${c}`);
      if (s.startsWith(' ') || s.startsWith('#')) s = `\\${s}`;
      if (s.endsWith(' ')) s = `${s.slice(0, -1)}\\ `;
      parts.push(`${attr}=${s}`);
    }
  }
  return parts.join(',');
}

// One entry of Node's subjectaltname string: 'TYPE:value' where a value holding a comma or a
// quote is written as a JSON string (Node does this since the CVE-2021-44532 fix), entries
// separated by ', '.
const SAN_ENTRY = /([^:,]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/gy;

/** ['DNS:alice.local', 'URI:spiffe://rivet.test/alice', 'IP Address:127.0.0.1'] from Node's subjectaltname string. */
export function splitSubjectAltName(san: string | undefined): string[] {
  if (san === undefined || san === '') return [];
  const out: string[] = [];
  SAN_ENTRY.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (SAN_ENTRY.lastIndex < san.length && (m = SAN_ENTRY.exec(san)) !== null) {
    out.push(`${m[1]}:${m[2].startsWith('"') ? unquote(m[2]) : m[2]}`);
  }
  return out;
}

function unquote(quoted: string): string {
  try {
    return String(JSON.parse(quoted));
  } catch {
    // Not the JSON Node writes; keep the text as it came rather than fail the connection.
    return quoted;
  }
}

/** IPv4 and IPv6 addresses as bigints, so one comparison covers both families. */
function parseIPv4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIPv6(text: string): bigint | null {
  let address = text;
  const embedded = address.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (embedded) {
    const v4 = parseIPv4(embedded[1]);
    if (v4 === null) return null;
    address = `${address.slice(0, -embedded[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = address.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return null;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return null;
    value = (value << 16n) | BigInt(`0x${group}`);
  }
  return value;
}

interface Parsed {
  value: bigint;
  bits: 32 | 128;
}

export function parseIp(text: string): Parsed | null {
  const v4 = parseIPv4(text.trim());
  if (v4 !== null) return { value: v4, bits: 32 };
  const v6 = parseIPv6(text.trim());
  if (v6 === null) return null;
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) is the IPv4 address.
  if (v6 >> 32n === 0xffffn) return { value: v6 & 0xffffffffn, bits: 32 };
  return { value: v6, bits: 128 };
}

/** "203.0.113.0/24", "2001:db8::/32" or a bare address. Null when unreadable. */
export function parseCidr(text: string): { network: Parsed; prefix: number } | null {
  const [address, prefixText] = text.split("/");
  const network = parseIp(address);
  if (!network) return null;
  const prefix = prefixText === undefined ? network.bits : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > network.bits) return null;
  return { network, prefix };
}

export function ipInCidrs(ip: string, cidrs: string[]): boolean {
  const address = parseIp(ip);
  if (!address) return false;
  return cidrs.some((cidr) => {
    const range = parseCidr(cidr);
    if (!range || range.network.bits !== address.bits) return false;
    const shift = BigInt(address.bits - range.prefix);
    return address.value >> shift === range.network.value >> shift;
  });
}

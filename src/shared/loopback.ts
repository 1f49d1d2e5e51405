/** True for addresses that never leave this host (`127.*`, `::1`, `localhost`, IPv4-mapped `::ffff:127.*`). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || a.startsWith('127.') || a === 'localhost';
}

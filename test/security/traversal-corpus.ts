/**
 * The SEC-05 path corpus: 7 dot-segment spellings × 6 separators × 6 targets × 2 nestings (504), plus
 * absolute paths, UNC and drive paths, URLs, home references and NUL / control / BOM / bidi / zero-width
 * characters. `root` is the folder holding the state dir (`root/state`, workspace `root/state/workspace`)
 * and the outside (`root/outside/secret.txt`): two levels up from the workspace reach it, twelve reach `/`.
 */
export const DOTS = ['..', '%2e%2e', '%252e%252e', '.. ', '...', '.%2e', '%2E.'] as const;
export const SEPARATORS = ['/', '\\', '%2f', '%5c', '%252f', '//'] as const;

export function traversalPayloads(root: string): string[] {
  const fromRoot = root.replace(/^\/+/, '');
  const near = [
    'outside/secret.txt',
    'outside/new.txt',
    'outside',
    'state/credentials/gateway-token',
    'state/carapace.json',
    'outside/sub/deeper.txt',
  ];
  const far = [
    `${fromRoot}/outside/secret.txt`,
    `${fromRoot}/outside/new.txt`,
    'etc/passwd',
    'etc/shadow',
    `${fromRoot}/state/credentials/gateway-token`,
    'proc/self/environ',
  ];
  const out: string[] = [];
  for (const dot of DOTS) {
    for (const sep of SEPARATORS) {
      for (const [depth, targets] of [
        [2, near],
        [12, far],
      ] as const) {
        for (const target of targets) {
          out.push(`${`${dot}${sep}`.repeat(depth)}${target.split('/').join(sep)}`);
        }
      }
    }
  }
  out.push(
    `${root}/outside/secret.txt`,
    `${root}/outside/new.txt`,
    `${root}/state/credentials/gateway-token`,
    '/etc/passwd',
    '//etc/passwd',
    `file://${root}/outside/secret.txt`,
    '\\\\localhost\\c$\\outside\\secret.txt',
    '\\\\?\\C:\\Windows\\win.ini',
    'C:\\Windows\\win.ini',
    'C:/Windows/win.ini',
    '~/.ssh/id_rsa',
    '~root/.bashrc',
    '~',
    '../../outside/secret.txt\u0000.png',
    'outside\u0000/../../../outside/secret.txt',
    '\u202e../../outside/secret.txt',
    '\ufeff../../outside/secret.txt',
    '..\u200b/..\u200b/outside/secret.txt',
    '..\u2215..\u2215outside\u2215secret.txt',
    '..\uff0f..\uff0foutside\uff0fsecret.txt',
    '%c0%ae%c0%ae/%c0%ae%c0%ae/outside/secret.txt',
    '..%00/../outside/secret.txt',
    '\u001b[2J../../outside/secret.txt',
    'a\n../../outside/secret.txt',
    `${'a/'.repeat(2100)}x`,
  );
  return out;
}

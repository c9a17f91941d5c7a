// Client file names are display text only (storage keys are generated): keep the last path
// segment, drop control and bidi-override characters, bound the length.

const MAX_LENGTH = 255;
// C0/C1 controls (matching them is the point, hence the lint exception), and the bidi controls that can make "exe.pdf" display as "fdp.exe".
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function sanitizeFilename(raw: string | undefined): string {
  const lastSegment = (raw ?? '').normalize('NFC').split(/[/\\]/).pop() ?? '';
  const cleaned = lastSegment.replace(UNSAFE, '').trim();
  // "", "." and ".." name nothing; a name of dots only could still read as a path.
  if (/^\.*$/.test(cleaned)) return 'file';
  return [...cleaned].slice(0, MAX_LENGTH).join('');
}

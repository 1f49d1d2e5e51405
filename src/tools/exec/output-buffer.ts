/**
 * Combined stdout/stderr of a process, capped: only the last `cap` characters are kept, with absolute
 * offsets so a reader can ask for "everything after offset N" and learn how much it missed.
 */
export class OutputBuffer {
  private text = '';
  /** Absolute offset of the first character still held. */
  private start = 0;

  constructor(readonly cap: number) {}

  /** Total characters ever written. */
  get end(): number {
    return this.start + this.text.length;
  }

  /** Characters written but no longer held. */
  get dropped(): number {
    return this.start;
  }

  append(chunk: string): void {
    this.text += chunk;
    const over = this.text.length - this.cap;
    if (over > 0) {
      this.text = this.text.slice(over);
      this.start += over;
    }
  }

  /** Text after absolute offset `from`, the offset to continue from, and how much of it was dropped. */
  readFrom(from: number): { text: string; next: number; missed: number } {
    const missed = Math.max(0, this.start - from);
    const text = this.text.slice(Math.max(0, from - this.start));
    return { text, next: this.end, missed };
  }

  /** The last `chars` characters held. */
  tail(chars: number): string {
    return this.text.slice(Math.max(0, this.text.length - chars));
  }

  /** Everything held, with a marker when the beginning was dropped. */
  render(): string {
    return this.start > 0 ? `[… ${this.start} earlier characters dropped …]\n${this.text}` : this.text;
  }
}

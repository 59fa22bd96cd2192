import { describe, expect, it } from 'vitest';
import { LiveWindow } from './live-window.js';

describe('LiveWindow', () => {
  it('starts live at the first sequence committed within the window', () => {
    const window = new LiveWindow(1000, 50);
    window.mark(1, 0);
    window.mark(10, 400);
    window.mark(20, 900);
    expect(window.startSeq(900)).toBe(1);
    expect(window.startSeq(1200)).toBe(10);
    expect(window.startSeq(1500)).toBe(20);
    expect(window.startSeq(5000)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('coalesces marks closer than the resolution, keeping the earlier sequence', () => {
    const window = new LiveWindow(1000, 50);
    window.mark(1, 0);
    window.mark(5, 20);
    window.mark(9, 60);
    expect(window.startSeq(999)).toBe(1);
    expect(window.startSeq(1010)).toBe(9);
  });
});

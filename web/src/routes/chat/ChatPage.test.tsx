import { describe, expect, it } from 'vitest';
import { describeFrame } from './ChatPage';

const frame = (type: 'message' | 'join' | 'leave' | 'error', text = '') => ({
  type,
  room: 'lobby',
  user: { id: 1, name: 'Ada' },
  text,
  at: '2026-01-01T00:00:00.000Z',
});

describe('chat lines', () => {
  it("name the member in join and leave notices and show the sender's message", () => {
    expect(describeFrame(frame('join'))).toBe('Ada joined the room');
    expect(describeFrame(frame('leave'))).toBe('Ada left the room');
    expect(describeFrame(frame('message', 'hello'))).toBe('Ada: hello');
    expect(describeFrame(frame('error', 'text too long'))).toBe('Not sent: text too long');
  });
});

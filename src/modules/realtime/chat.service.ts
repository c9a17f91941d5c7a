// Chat rooms: joining, speaking and leaving, announced to every member on every instance through
// the pub/sub transport. No Fastify and no sockets here: a member is a `deliver` function.
import type { PubSub } from '../../infra/realtime/hub.js';
import type { ChatOut } from './realtime.schemas.js';

export interface ChatUser {
  id: number;
  name: string;
}

export interface ChatMembership {
  /** Publishes a message to the room (every member, including the sender, receives it). */
  say(text: string): Promise<void>;
  /** Stops delivery to this member and tells the others. Safe to call twice. */
  leave(): Promise<void>;
}

export class ChatService {
  constructor(
    private readonly pubsub: PubSub,
    private readonly redisPrefix: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Channel names carry the Redis prefix themselves: ioredis' keyPrefix does not touch them. */
  roomChannel(room: string): string {
    return `${this.redisPrefix}chat:room:${room}`;
  }

  /** Builds a frame for one socket only (errors are not broadcast). */
  frame(type: ChatOut['type'], room: string, user: ChatUser, text: string): string {
    const out: ChatOut = { type, room, user: { id: user.id, name: user.name }, text, at: this.now().toISOString() };
    return JSON.stringify(out);
  }

  /**
   * Subscribes the member, then announces the join, so the joiner sees its own join notice and
   * nothing published after that point is missed. `deliver` receives serialized frames as they
   * travel through Redis (UTF-8 JSON bytes): one serialization per message, whatever the number
   * of members.
   */
  async join(room: string, user: ChatUser, deliver: (frame: Buffer) => void): Promise<ChatMembership> {
    const channel = this.roomChannel(room);
    const unsubscribe = await this.pubsub.subscribe(channel, deliver);
    const announce = (type: ChatOut['type'], text: string) =>
      this.pubsub.publish(channel, this.frame(type, room, user, text));
    try {
      await announce('join', `${user.name} joined`);
    } catch (err) {
      unsubscribe();
      throw err;
    }
    let left = false;
    return {
      say: (text) => announce('message', text),
      leave: async () => {
        if (left) return;
        left = true;
        unsubscribe();
        await announce('leave', `${user.name} left`);
      },
    };
  }
}

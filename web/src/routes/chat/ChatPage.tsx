import { Button, Group, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useNavigate, useParams } from '@tanstack/react-router';
import { useEffect, useRef, useState } from 'react';
import { connectLive, type LiveConnection, type LiveStatus } from '../../live/socket';

/** A frame the server sends on /ws/chat/:room (ChatOut in src/modules/realtime/realtime.schemas.ts). */
export interface ChatFrame {
  type: 'message' | 'join' | 'leave' | 'error';
  room: string;
  user: { id: number; name: string };
  text: string;
  at: string;
}

const ROOM = /^[A-Za-z0-9_.-]{1,64}$/;
const STATUS_LABEL: Record<LiveStatus, string> = {
  connecting: 'Connecting…',
  open: 'Connected',
  reconnecting: 'Connection lost, reconnecting…',
  closed: 'Disconnected: sign in again',
};

export function ChatLobby() {
  return (
    <Stack>
      <Title order={1}>Chat</Title>
      <RoomPicker />
    </Stack>
  );
}

function RoomPicker({ current }: { current?: string }) {
  const navigate = useNavigate();
  const [room, setRoom] = useState(current ?? '');
  const [error, setError] = useState<string>();
  useEffect(() => setRoom(current ?? ''), [current]);
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        if (!ROOM.test(room)) return setError('1 to 64 letters, digits, _, . or -');
        setError(undefined);
        void navigate({ to: '/chat/$room', params: { room } });
      }}
    >
      <Group align="flex-end">
        <TextInput label="Room" value={room} error={error} onChange={(event) => setRoom(event.currentTarget.value)} />
        <Button type="submit" variant="default">
          Join
        </Button>
      </Group>
    </form>
  );
}

/** One line of the room log: join/leave notices name the member. */
export function describeFrame(frame: ChatFrame): string {
  switch (frame.type) {
    case 'join':
      return `${frame.user.name} joined the room`;
    case 'leave':
      return `${frame.user.name} left the room`;
    case 'error':
      return `Not sent: ${frame.text}`;
    default:
      return `${frame.user.name}: ${frame.text}`;
  }
}

export function ChatRoomPage() {
  const { room } = useParams({ from: '/chat/$room' });
  const [frames, setFrames] = useState<ChatFrame[]>([]);
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [text, setText] = useState('');
  const [notice, setNotice] = useState<string>();
  const connection = useRef<LiveConnection | null>(null);

  useEffect(() => {
    setFrames([]);
    const live = connectLive<ChatFrame>(`/ws/chat/${encodeURIComponent(room)}`, {
      onMessage: (frame) => setFrames((previous) => [...previous.slice(-499), frame]),
      onStatus: setStatus,
    });
    connection.current = live;
    return () => live.close();
  }, [room]);

  return (
    <Stack>
      <Title order={1}>Chat: {room}</Title>
      <RoomPicker current={room} />
      <Group>
        <Text role="status" fw={600} c={status === 'open' ? 'dark' : 'red.9'}>
          {STATUS_LABEL[status]}
        </Text>
      </Group>
      <Paper withBorder p="sm" mih={240} style={{ overflowY: 'auto', maxHeight: '60vh' }}>
        {/* Named by `title`, not aria-label: a label lookup for "Message" (the input) must not also
            find the log ("Messages"); `title` names it for getByRole/assistive tech only. */}
        <div role="log" title="Messages" aria-live="polite">
          {frames.length === 0 && <Text c="dimmed">No messages yet.</Text>}
          {frames.map((frame, index) => (
            <Text
              key={`${frame.at}-${index}`}
              size="sm"
              fs={frame.type === 'message' ? undefined : 'italic'}
              c={frame.type === 'error' ? 'red.9' : undefined}
            >
              <time dateTime={frame.at}>{new Date(frame.at).toLocaleTimeString()}</time> {describeFrame(frame)}
            </Text>
          ))}
        </div>
      </Paper>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const message = text.trim();
          if (!message) return;
          if (connection.current?.send({ type: 'message', text: message })) {
            setText('');
            setNotice(undefined);
          } else setNotice('Not connected: the message was not sent. Try again when connected.');
        }}
      >
        <Group align="flex-end">
          <TextInput
            label="Message"
            value={text}
            maxLength={4000}
            error={notice}
            style={{ flex: 1 }}
            onChange={(event) => setText(event.currentTarget.value)}
          />
          <Button type="submit">Send</Button>
        </Group>
      </form>
    </Stack>
  );
}
